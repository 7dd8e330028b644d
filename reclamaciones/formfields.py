"""Form fields shared by the public form and the back office."""

from __future__ import annotations

from django import forms


def newlines_normalize(value: str) -> str:
    """Line breaks as one character: browsers submit a textarea's breaks as CRLF (two characters) although the
    person typing sees, and the browser counts, one."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


class LongTextField(forms.CharField):
    """A textarea limited to `max_length` characters counted as the person sees them (a line break is one, an
    accented letter or an emoji is one). The widget carries no `maxlength`: a browser would silently cut a
    paste at the limit; instead a live counter (data-max-chars) warns and the server explains what is over."""

    def __init__(self, *, rows: int, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return newlines_normalize(value) if isinstance(value, str) else value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if self.max_length is not None:
            attrs.pop("maxlength", None)
            attrs["data-max-chars"] = str(self.max_length)
        return attrs
