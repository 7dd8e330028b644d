"""Upload handling before any form sees a file (issue 14 §1): Django streams every upload to memory or /tmp while
it parses the request, so a limit checked by the form comes after the bytes were written. This handler, first in
FILE_UPLOAD_HANDLERS, drops a document over RECLAMACIONES_ATTACHMENTS_MAX_BYTES as it streams; the views say so
next to the field (uploads_refused)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from .attachment_models import size_label

# The file inputs of documents: the public filing form's and the staff's answer upload. Other uploads (imports,
# logos) keep Django's handling.
ATTACHMENT_FIELDS = frozenset({"attachments", "documento"})

_REFUSED = "_attachments_too_big"


class AttachmentSizeHandler(FileUploadHandler):
    """Passes the chunks on to the next handlers until a document goes over the size limit; then SkipFile: the
    parser closes the partial file (the next handlers' temporary file is deleted), skips the rest of that file's
    bytes and goes on with the other fields, so the form keeps what the consumer typed. The file's name is noted
    on the request for the message."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.limited = field_name in ATTACHMENT_FIELDS

    def receive_data_chunk(self, raw_data, start):
        if self.limited and start + len(raw_data) > settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES:
            refused = getattr(self.request, _REFUSED, [])
            refused.append(self.file_name or "")
            setattr(self.request, _REFUSED, refused)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) returns the file


def uploads_refused(request) -> list[str]:
    """The messages for the documents this request's upload dropped for their size (empty when none)."""
    from .attachments import MSG_UPLOAD_TOO_BIG, name_clean

    limit = size_label(settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES)
    messages = []
    for raw in getattr(request, _REFUSED, []):
        try:
            name = name_clean(raw)
        except ValidationError:  # a name the form would refuse anyway: the message names no file
            name = "sin nombre"
        messages.append(MSG_UPLOAD_TOO_BIG.format(name=name, limit=limit))
    return messages
