"""Stage: alerts. What is worth telling staff and how it reaches them: ``events`` (a new version, a finding,
a late or missing report, a failing source -> events with stable keys), ``render`` (the Chinese words, from the
templates in the top-level alerts/ folder), ``outbox`` (the delivery pass: digests, budget, backoff, dead
letters) and ``channels`` (e-mail, an .eml folder, webhooks and robots).
"""
