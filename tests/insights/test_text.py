"""The words every model reads."""

from insights.text import guess_language, terms, terms_and_pairs


def test_accents_plural_and_case_make_one_term():
    assert set(terms("Facturación")) == set(terms("facturacion")) == set(terms("FACTURAS"))


def test_customers_who_skip_the_tilde_meet_those_who_dont():
    assert terms("contraseña") == terms("contrasena")


def test_stop_words_go_but_words_of_meaning_and_feeling_stay():
    spanish = terms("Hola, la factura de marzo no corresponde y el servicio fue muy mal")
    assert "la" not in spanish and "de" not in spanish
    assert {"no", "mal", "servici"} <= set(spanish)
    english = terms("The refund never arrived and the service was not good")
    assert "the" not in english and {"never", "not", "good", "refund"} <= set(english)


def test_numbers_and_symbols_are_not_words():
    assert terms("Pedido 12345 — 20 € #!!") == ["ped"]


def test_language_is_guessed_from_its_commonest_words():
    assert guess_language(["el", "pedido", "de", "la", "semana", "no", "ha", "llegado"]) == "es"
    assert guess_language(["the", "order", "of", "the", "week", "has", "not", "arrived"]) == "en"


def test_pairs_join_neighbours():
    assert "tarjet rechaz" in terms_and_pairs("la tarjeta rechazada")


def test_a_huge_or_empty_text_is_read_without_error():
    assert terms("") == []
    assert len(terms("factura " * 100_000)) <= 20_000


def test_references_codes_and_units_are_not_words():
    """The walkthrough's themes showed `ped`, `fe`, `ax`, `kg` from PED-1042, FE/2291…"""
    assert terms("Pedido PED-1042, factura FE/2291, código AX12, pesa 5 kg") == [
        "ped",
        "factur",
        "codig",
        "pes",
    ]
    assert terms("no") == ["no"]
