"""The signals `surveys` sends.

- `invitation_sent(sender=SurveyInvitation, invitation_id, ticket_id)` — the survey e-mail
  went out and `sent_at` is set (a conditional UPDATE, so no post_save). The metrics app
  counts it in the response rate's denominator.

- `summarise_responses(sender=SurveyResponse, user, filters)` — sent by
  `surveys.selectors.response_summary_for`, which the survey responses page
  (surveys/views/responses.py, `response_list`) calls for its summary, before it counts the
  filtered responses itself. It asks: can anyone summarise these responses faster than one
  aggregate over every matching row? The metrics app answers from its KPI rollups.

  `user` is the one viewing the page (`responses_visible_to(user)` is the set the filters
  narrow). `filters` maps each filter in force to its value: the names of
  `surveys.filters.ResponseFilter`'s fields, only those valid and set, model choices (team,
  agent, category) as their primary keys, `answered_after` / `answered_before` as dates
  (local days in TIME_ZONE; a period preset arrives as its `answered_after`), scores as
  numbers, `group` as its key.

  A receiver returns None unless it can answer *exactly*, for that user and every filter
  given (a filter name it does not know means None). Its answer is a dict of the shape and
  rounding of `surveys.selectors.response_summary` — build it with
  `surveys.selectors.summary_from_counts`. The first dict returned wins; with none, the
  page counts live. A receiver that raises is logged and skipped.

- `survey_history_loaded(sender=SurveyInvitation, seed, now)` — sent by the demo loader
  (surveys/demo.py, `load_survey_history`) at the end of a load that wrote the demo desk's
  survey history, inside its transaction: the demo desk is then whole (tickets, answers,
  follow-ups), and a higher app that reads answers adds its own demo data (deterministic
  for `seed`, dated before `now`). The quality app writes its reviews, coaching and problems.
"""

from django.dispatch import Signal

invitation_sent = Signal()
summarise_responses = Signal()
survey_history_loaded = Signal()
