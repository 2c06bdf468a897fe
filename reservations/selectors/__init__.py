"""Reads of reservations, one module per page or concern.

- ``options``: the services with their prestations (cached), the foyer with its children;
- ``cells``: a cell of the Vue Période, its states and words, weeks and rows;
- ``grid``: the Vue Période and some of its cells, in three queries;
- ``cart``: the cart panel;
- ``reports``: the staff's day sheet and the kitchen's meal counts.
"""
