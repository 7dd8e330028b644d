"""The anchor of bench/http.py (issue 11): a bare Django 5.2 project on the portal's stack and database settings.

One app (`anchor`) with a model of 18 fields shaped like the hoja's form, a ModelForm, a create view (CSRF on:
validate, INSERT, redirect) and a detail view (one SELECT by a unique random token, a small template), behind
the middleware a `startproject` site has. It is what "Django itself" costs on this machine for the portal's
HTTP paths, measured in the same run. Settings: bench.bare.settings (DATABASE_URL from the environment, only a
throwaway bench_reclamaciones_* database).
"""
