"""Writes of billing: numbers, tariffs, attendance, invoices and credit notes."""
