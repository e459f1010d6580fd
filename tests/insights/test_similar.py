"""Similar solved cases: found by their words on a planted desk, measured on the newest fifth
against five random tickets, and shown to an agent only among the tickets they may see."""

import pytest

from insights import store
from insights.models import ModelKind, ModelStatus
from insights.services.training import train_model
from tests.insights.histories import planted_desk


@pytest.mark.django_db
def test_an_empty_desk_gets_no_index_and_says_how_much_it_needs():
    record = train_model(kind=ModelKind.SIMILAR)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.quality == {"needed": 100, "have": 0}
    assert store.load(ModelKind.SIMILAR) is None


@pytest.mark.django_db
def test_the_five_nearest_share_the_category_far_more_often_than_five_random_ones():
    planted_desk(600)
    record = train_model(kind=ModelKind.SIMILAR)
    assert record.status == ModelStatus.READY and record.documents == 600
    quality = record.quality
    print(quality)
    assert quality["baseline"] == "five random indexed tickets"
    assert quality["trained_on"] == 480 and quality["tested_on"] == 120
    assert quality["hit_rate_at_5"] > quality["baseline_hit_rate_at_5"] + 0.1
    assert quality["share_at_5"] > quality["baseline_share_at_5"] + 0.4
