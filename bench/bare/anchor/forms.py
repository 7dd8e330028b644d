from django import forms

from .models import Filing

FIELDS = [
    "consumer_name",
    "doc_type",
    "doc_number",
    "consumer_address",
    "consumer_phone",
    "consumer_email",
    "is_minor",
    "guardian_name",
    "guardian_address",
    "guardian_phone",
    "guardian_email",
    "good_type",
    "amount_claimed",
    "currency",
    "good_description",
    "kind",
    "detail",
    "request",
]


class FilingForm(forms.ModelForm):
    class Meta:
        model = Filing
        fields = FIELDS
        widgets = {"good_type": forms.RadioSelect, "kind": forms.RadioSelect}
