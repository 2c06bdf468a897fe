"""Writes of reservations, one module per concern.

- ``lifecycle``: ``bookings_transition``, the one way an existing booking changes state
  (reservations.lifecycle's table, under the capacity locks, events with their reason, the
  waiting list served), and ``holds_release``;
- ``cart``: the family's cart, cancellation requests, Vue Agenda and forfaits;
- ``validation``: « Valider », the hot path;
- ``waitlist``: joining, leaving and serving the waiting lists;
- ``staff``: the mairie's decisions, bookings and cancellations;
- ``absences``: bookings cancelled by an accepted justified absence;
- ``cell``: what a click on a cell of the Vue Période does;
- ``records``, ``places``, ``emails``: new bookings and their events, the capacity locks and
  counts, the e-mails.
"""
