"""Stage: alerts. What is worth telling staff and how it reaches them, one job a module:

- ``events``: a stored version, a missing report (the finding the watcher's rule made), a failing source ->
  events with stable keys and their recipients. It checks nothing: the watcher runs the rules.
- ``render``: an event's ``Payload`` (``model.events``) -> the Chinese words, from the templates in the
  top-level alerts/ folder; its public face (``hot_cells``, ``table_view``, ``finding_views``, ``diff_view``)
  is shared with the overview site.
- ``outbox``: the delivery pass's policy: what is due, digests, each channel's budget, backoff, dead letters.
- ``channels``: the transports by config key (e-mail, the .eml folder, webhooks in their formats), each given
  only its own config section; they know nothing of the outbox.
"""
