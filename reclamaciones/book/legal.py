"""Legal texts printed on the form, the sheet and the PDF, verbatim from Anexo I of DS 101-2022-PCM.

One copy here, so the web form, the confirmation page and the PDF can never drift apart. Do not edit the
wording: it is the official text (the first footnote really has no space after the asterisk)."""

from __future__ import annotations

RECLAMO_DEFINITION = "Disconformidad relacionada a los productos o servicios."

QUEJA_DEFINITION = (
    "Disconformidad no relacionada a los productos o servicios; o, malestar o descontento respecto a la atención "
    "al público."
)

FOOTNOTE_NOT_A_PRIOR_STEP = (
    "*La formulación del reclamo no impide acudir a otras vías de solución de controversias ni es requisito previo "
    "para interponer una denuncia ante el INDECOPI."
)

FOOTNOTE_DEADLINE = (
    "* El proveedor debe dar respuesta al reclamo o queja en un plazo no mayor a quince (15) días hábiles, el cual "
    "es improrrogable."
)

TEXTS = {
    "reclamo": RECLAMO_DEFINITION,
    "queja": QUEJA_DEFINITION,
    "footnote_not_a_prior_step": FOOTNOTE_NOT_A_PRIOR_STEP,
    "footnote_deadline": FOOTNOTE_DEADLINE,
}
