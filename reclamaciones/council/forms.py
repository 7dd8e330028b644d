"""Forms of the improvement council's admin: action items (status moves checked by the service's rule), the
decisions of a meeting, and the "create an action from these hojas" bulk action. Forms validate; the writes are
council.services'."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from ..access import Scope
from ..book.models import Establishment
from ..handling.models import Cause
from ..handling.selectors import cause_choices
from .models import ACTION_VERDICT_STATUSES, ActionItem, ActionStatus, ActionStep
from .rules import WHY_MAX_CHARS, WHYS_MAX, root_cause_errors
from .selectors import (
    action_owner_can_act,
    action_owner_choices,
    action_owner_choices_in_scope,
    action_owner_qualifies,
)
from .services import (
    ACTION_TRANSITIONS,
    EVIDENCE_MAX,
    MSG_EVIDENCE_URL,
    MSG_IMPLEMENTED_DATE,
    MSG_NO_CAUSE,
    MSG_OWNER_CANNOT_ACT,
    MSG_PROGRESS_EMPTY,
    PROGRESS_NOTE_MAX,
    STEP_TEXT_MAX,
    CouncilError,
    action_owner_check,
    action_status_check,
)

MSG_TARGET_RANGE = "La meta es un porcentaje de reducción entre 1 y 100."

MSG_WEEKS_MIN = "Mide al menos una semana."


def user_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


MSG_OWNER_CHOICE = f"{MSG_OWNER_CANNOT_ACT} También debe ver el establecimiento de la acción."


def owner_label(user, establishment_id=...) -> str:
    """An owner choice; the current owner of an old action who can no longer act on it (or no longer sees its
    `establishment_id`) says so."""
    label = user_label(user)
    fits = action_owner_can_act(user) if establishment_id is ... else action_owner_qualifies(user, establishment_id)
    return label if fits else f"{label} (no puede actualizar la acción)"


def restrict_owner(field, instance=None, *, establishment_id=..., scope: Scope | None = None) -> None:
    """Offer as owners only people who can act on the action and see its `establishment_id` (left out, when the
    form chooses the establishment too: people who see one of `scope`'s, the pair checked in clean()), plus the
    action's current owner, kept (flagged) so its other fields can be edited; anything else posted is refused in
    Spanish."""
    keep = instance.owner if instance is not None and instance.pk and instance.owner_id else None
    if establishment_id is ... and scope is not None:
        field.queryset = action_owner_choices_in_scope(scope=scope, keep=keep)
    else:
        field.queryset = action_owner_choices(keep, establishment_id=establishment_id)
    # every other choice qualifies by construction: only the kept owner may need the flag (no query per label)
    field.label_from_instance = lambda user: (
        owner_label(user, establishment_id) if keep is not None and user.pk == keep.pk else user_label(user)
    )
    field.error_messages["invalid_choice"] = MSG_OWNER_CANNOT_ACT if establishment_id is ... else MSG_OWNER_CHOICE
    field.help_text = (
        "Alguien del consejo de mejora o de supervisión que vea el establecimiento de la acción: quien recibe los "
        "recordatorios y la actualiza."
    )


def check_owner(form: forms.Form, establishment) -> None:
    """Refuse next to the owner field an owner who may not own an action of `establishment` (None: all)."""
    owner = form.cleaned_data.get("owner")
    if owner is None or "owner" in form.errors:
        return
    try:
        action_owner_check(owner, establishment.pk if establishment is not None else None)
    except CouncilError as exc:
        form.add_error("owner", str(exc))


class StaffUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class StaffUserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class ActionItemAdminForm(forms.ModelForm):
    """The admin's action-item form. People move the status along council.services.ACTION_TRANSITIONS only;
    «Efectiva» / «No efectiva» come from the measurement. The rule is the service's (action_status_check)."""

    class Meta:
        model = ActionItem
        fields = [
            "title",
            "description",
            "causes",
            "establishment",
            "owner",
            "due_date",
            "meeting",
            "status",
            "implemented_on",
            "target_reduction_pct",
            "verification_weeks",
        ]

    scope: Scope | None = None  # the admin's user (ActionItemAdmin.get_form): the owners they may choose from

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.old_status = self.instance.status if self.instance.pk else ActionStatus.PROPOSED
        if "causes" in self.fields:
            keep = list(self.instance.causes.all()) if self.instance.pk else []
            self.fields["causes"].queryset = cause_choices(keep)
            self.fields["causes"].error_messages["required"] = MSG_NO_CAUSE
        if "owner" in self.fields:
            restrict_owner(self.fields["owner"], self.instance, scope=self.scope)
        status = self.fields.get("status")
        if status is not None:
            # Offer only the moves allowed from here; anything else posted is refused by the rule in clean().
            allowed = {self.old_status, *ACTION_TRANSITIONS[self.old_status]}
            status.widget.choices = [(v, label) for v, label in ActionStatus.choices if v in allowed]
        if "implemented_on" in self.fields:
            self.fields["implemented_on"].help_text = (
                "Al marcarla «Implementada»: el día en que se implementó (vacío = hoy). Desde ese día corren "
                "las semanas de verificación."
            )

    def clean(self):
        cleaned = super().clean()
        if "owner" in self.fields and (not self.instance.pk or {"owner", "establishment"} & set(self.changed_data)):
            establishment = cleaned.get("establishment") if "establishment" in self.fields else None
            if "establishment" not in self.fields and self.instance.pk:
                establishment = self.instance.establishment
            check_owner(self, establishment)  # the current owner may stay while neither changes
        if "status" not in self.fields:
            return cleaned  # read-only once the measurement gave its verdict
        new = cleaned.get("status")
        if not new:
            return cleaned
        today = timezone.localdate()
        implemented_on = cleaned.get("implemented_on")
        if new == ActionStatus.IMPLEMENTED and implemented_on is None and "implemented_on" not in self.errors:
            implemented_on = cleaned["implemented_on"] = today
        try:
            action_status_check(old=self.old_status, new=new, implemented_on=implemented_on, today=today)
        except CouncilError as exc:
            self.add_error("implemented_on" if str(exc) == MSG_IMPLEMENTED_DATE else "status", str(exc))
            return cleaned
        if new not in {ActionStatus.IMPLEMENTED, *ACTION_VERDICT_STATUSES}:
            cleaned["implemented_on"] = None  # back in progress: the verification clock is not running
        return cleaned


class DecisionForm(forms.ModelForm):
    """An action item agreed in a meeting (inline in the meeting's admin page)."""

    class Meta:
        model = ActionItem
        fields = ["title", "causes", "owner", "due_date", "target_reduction_pct", "verification_weeks"]

    def __init__(self, *args, meeting=None, scope: Scope | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        keep = list(self.instance.causes.all()) if self.instance.pk else []
        self.fields["causes"].queryset = cause_choices(keep)
        self.fields["causes"].error_messages["required"] = MSG_NO_CAUSE
        if self.instance.pk:
            restrict_owner(self.fields["owner"], self.instance, establishment_id=self.instance.establishment_id)
        elif meeting is not None and meeting.pk:
            restrict_owner(self.fields["owner"], establishment_id=meeting.establishment_id)
        else:  # a meeting being created: its establishment is chosen on the same page, checked in clean()
            restrict_owner(self.fields["owner"], scope=scope)

    def establishment(self):
        """The decided action's establishment: its own once saved, else its meeting's (None: all of them)."""
        if self.instance.pk:
            return self.instance.establishment
        return self.meeting.establishment if self.meeting is not None else None

    def clean(self):
        cleaned = super().clean()
        if (not self.instance.pk and self.meeting is not None) or "owner" in self.changed_data:
            check_owner(self, self.establishment())
        return cleaned


class ActionFromComplaintsForm(forms.Form):
    """The intermediate page of the hojas' bulk action "Crear acción de mejora con los reclamos seleccionados"."""

    required_css_class = "required"  # the admin's bold labels

    title = forms.CharField(label="Título", max_length=150, widget=forms.TextInput(attrs={"class": "vTextField"}))
    description = forms.CharField(
        label="Descripción",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Qué se va a hacer y por qué.",
    )
    causes = forms.ModelMultipleChoiceField(
        label="Causas que debe reducir",
        queryset=Cause.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": MSG_NO_CAUSE},
        help_text="Vienen marcadas las causas con que se clasificaron las hojas seleccionadas.",
    )
    owner = StaffUserChoiceField(label="Responsable", queryset=get_user_model().objects.none())
    due_date = forms.DateField(
        label="Fecha límite de implementación",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    target_reduction_pct = forms.IntegerField(
        label="Meta de reducción (%)",
        initial=30,
        min_value=1,
        max_value=100,
        error_messages={"min_value": MSG_TARGET_RANGE, "max_value": MSG_TARGET_RANGE},
        help_text="Reducción de hojas semanales de sus causas que se espera lograr (30 = -30 %).",
    )
    verification_weeks = forms.IntegerField(
        label="Semanas de verificación",
        initial=8,
        min_value=1,
        max_value=52,
        error_messages={"min_value": MSG_WEEKS_MIN},
        help_text="Semanas después de implementada en las que se mide el resultado.",
    )
    establishment = forms.ModelChoiceField(
        label="Establecimiento",
        queryset=Establishment.objects.none(),
        required=False,
        empty_label="Todos los establecimientos",
        help_text="Vacío: la acción mide las hojas de todos los establecimientos.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["causes"].queryset = cause_choices()
        restrict_owner(self.fields["owner"])
        self.fields["establishment"].queryset = Establishment.objects.filter(is_active=True).order_by("name")

    def clean(self):
        cleaned = super().clean()
        if "establishment" not in self.errors:
            check_owner(self, cleaned.get("establishment"))
        return cleaned

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("La fecha límite no puede estar en el pasado.")
        return due


# -- The action's page (/consejo/acciones/<pk>/): the forms of its owner and the council ----------------------

_TEXT = {"class": "form-control"}


def _described(field_name: str, form: forms.Form) -> None:
    """Tie an input to its error and help text (ids as templates/reclamaciones/staff/_field.html writes them)."""
    field = form[field_name]
    ids = [f"{field.auto_id}_helptext"] if field.help_text else []
    if form.is_bound and field_name in form.errors:
        ids.append(f"{field.html_name}-error")
        field.field.widget.attrs["aria-invalid"] = "true"
    if ids:
        field.field.widget.attrs["aria-describedby"] = " ".join(ids)


class ActionProgressForm(forms.Form):
    """Record what was done (a note, its evidence) and, optionally, move the status along the rule."""

    note = forms.CharField(
        label="¿Qué avanzaste?",
        required=False,
        max_length=PROGRESS_NOTE_MAX,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 3}),
        help_text="Lo que se hizo desde la última vez, en pocas líneas.",
    )
    evidence = forms.CharField(
        label="Evidencia",
        required=False,
        max_length=EVIDENCE_MAX,
        widget=forms.TextInput(attrs=_TEXT),
        help_text="Opcional: dónde está la prueba (acta, foto, informe, registro).",
    )
    evidence_url = forms.URLField(
        label="Enlace a la evidencia",
        required=False,
        max_length=EVIDENCE_MAX,
        assume_scheme="https",
        error_messages={"invalid": MSG_EVIDENCE_URL},
        widget=forms.URLInput(attrs={**_TEXT, "inputmode": "url", "placeholder": "https://"}),
    )
    status = forms.ChoiceField(label="Estado", widget=forms.Select(attrs={"class": "form-select"}))
    implemented_on = forms.DateField(
        label="Implementada el",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        help_text="Solo al marcarla «Implementada» (vacío = hoy). Desde ese día corren las semanas de verificación.",
    )

    def __init__(self, *args, action: ActionItem, **kwargs):
        super().__init__(*args, initial={"status": action.status}, **kwargs)
        self.action = action
        # Offer only the moves allowed from here; anything else posted is refused in Spanish by the rule in clean().
        allowed = {action.status, *ACTION_TRANSITIONS[action.status]}
        self.fields["status"].choices = ActionStatus.choices
        self.fields["status"].widget.choices = [
            (value, f"{label} (sin cambio)" if value == action.status else label)
            for value, label in ActionStatus.choices
            if value in allowed
        ]
        for name in self.fields:
            _described(name, self)

    def clean_evidence_url(self) -> str:
        url = self.cleaned_data["evidence_url"]
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(MSG_EVIDENCE_URL)
        return url

    def clean(self):
        cleaned = super().clean()
        new = cleaned.get("status")
        if new is None:
            return cleaned
        if not (cleaned.get("note") or "").strip() and new == self.action.status and "note" not in self.errors:
            self.add_error("note", MSG_PROGRESS_EMPTY)
        today = timezone.localdate()
        implemented_on = cleaned.get("implemented_on")
        if new == ActionStatus.IMPLEMENTED and implemented_on is None:
            implemented_on = cleaned["implemented_on"] = today
        try:
            action_status_check(old=self.action.status, new=new, implemented_on=implemented_on, today=today)
        except CouncilError as exc:
            self.add_error("implemented_on" if str(exc) == MSG_IMPLEMENTED_DATE else "status", str(exc))
        return cleaned


class RootCauseForm(forms.Form):
    """The 5 whys: each answer asks "why?" of the one before; the last leads to the root cause."""

    root_cause = forms.CharField(
        label="Causa raíz",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 2}),
        help_text="Lo que, si se corrige, evita que vuelva a pasar.",
    )

    def __init__(self, *args, action: ActionItem, **kwargs):
        whys = list(action.root_cause_whys or [])
        initial = {f"why_{i}": whys[i - 1] if i <= len(whys) else "" for i in range(1, WHYS_MAX + 1)}
        super().__init__(*args, initial={**initial, "root_cause": action.root_cause}, **kwargs)
        for i in range(WHYS_MAX, 0, -1):  # inserted first, so they come before the root cause, in order
            self.fields = {
                f"why_{i}": forms.CharField(
                    label=f"{i}. ¿Por qué?",
                    required=False,
                    max_length=WHY_MAX_CHARS,
                    widget=forms.TextInput(attrs=_TEXT),
                ),
                **self.fields,
            }
        self.fields["why_1"].help_text = "¿Por qué pasa el problema? Cada respuesta siguiente pregunta por la anterior."
        for name in self.fields:
            _described(name, self)

    @property
    def whys(self) -> list[str]:
        return [self.cleaned_data.get(f"why_{i}", "") for i in range(1, WHYS_MAX + 1)]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for field_name, message in root_cause_errors(self.whys, cleaned.get("root_cause", "")).items():
            self.add_error(field_name, message)
        return cleaned


class StepAddForm(forms.Form):
    """A new step: containment (stop the harm now) or corrective (remove the cause)."""

    kind = forms.ChoiceField(
        label="Tipo de paso",
        choices=ActionStep.Kind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Elige si el paso es de contención o correctivo."},
    )
    text = forms.CharField(
        label="Paso",
        max_length=STEP_TEXT_MAX,
        widget=forms.TextInput(attrs=_TEXT),
        error_messages={"required": "Escribe el paso."},
        help_text="Contención: frena el daño ya (p. ej., llamar a los afectados). Correctiva: quita la causa.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            _described(name, self)


# -- Meetings (/consejo/reuniones/) and the council's edit of an action, without the admin -------------------

_DATE = {"type": "date", "class": "form-control"}
MEETING_EARLIEST_YEAR = 2010


class MeetingForm(forms.Form):
    """Schedule a meeting or change its schedule: date, time, place or link, establishment and attendees."""

    held_on = forms.DateField(
        label="Fecha",
        widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
        error_messages={"required": "Elige la fecha de la reunión.", "invalid": "Escribe una fecha válida."},
    )
    starts_at = forms.TimeField(
        label="Hora",
        widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M"),
        error_messages={"required": "Elige la hora de inicio.", "invalid": "Escribe la hora como 09:30."},
    )
    place = forms.CharField(
        label="Lugar o enlace de la videollamada",
        max_length=300,
        widget=forms.TextInput(attrs=_TEXT),
        error_messages={"required": "Indica dónde se reúnen: una sala o el enlace de la videollamada."},
        help_text="Por ejemplo, «Sala 2, sede Miraflores» o https://meet.example.com/consejo.",
    )
    establishment = forms.TypedChoiceField(
        label="Establecimiento",
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    attendees = forms.ModelMultipleChoiceField(
        label="Asistentes",
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": "Elige al menos un asistente.", "invalid_choice": "Elige asistentes de la lista."},
        help_text="Personas del consejo, supervisión, auditoría o cumplimiento que ven ese establecimiento.",
    )
    guests = forms.CharField(
        label="Otros asistentes",
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs=_TEXT),
        help_text="Opcional: nombres y cargos de invitados sin usuario.",
    )

    def __init__(self, *args, establishments, people, all_establishments: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.establishments = {e.pk: e for e in establishments}
        choices = [(e.pk, e.name) for e in establishments]
        if all_establishments:
            choices.insert(0, ("", "Todos los establecimientos"))
        else:
            self.fields["establishment"].required = True
            self.fields["establishment"].error_messages["required"] = "Elige el establecimiento de la reunión."
        self.fields["establishment"].choices = choices
        self.fields["attendees"].queryset = people
        self.fields["attendees"].label_from_instance = user_label
        for name in self.fields:
            _described(name, self)

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        latest = timezone.localdate() + timedelta(days=2 * 365)
        if day.year < MEETING_EARLIEST_YEAR or day > latest:
            raise forms.ValidationError(f"Elige una fecha entre 2010 y el {latest:%d/%m/%Y}.")
        return day

    def clean_establishment(self):
        value = self.cleaned_data["establishment"]
        if value is not None and value not in self.establishments:
            raise forms.ValidationError("Elige uno de tus establecimientos.")
        return self.establishments.get(value) if value is not None else None


ATTENDANCE_CHOICES = [("present", "Presente"), ("absent", "Ausente")]


class MinutesForm(forms.Form):
    """During or after the meeting: attendance, notes and decisions per agenda item, and the general minutes."""

    minutes = forms.CharField(
        label="Acta: resumen general",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 4}),
        help_text="Lo tratado y lo acordado en general; lo de cada punto va en su nota.",
    )

    def __init__(self, *args, meeting, attendees, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.attendees = list(attendees)
        self.items = list(items)
        attendance = meeting.attendance or {}
        for person in self.attendees:
            recorded = attendance.get(str(person.pk))
            self.fields[f"asistencia_{person.pk}"] = forms.ChoiceField(
                label=user_label(person),
                choices=ATTENDANCE_CHOICES,
                required=False,
                initial=None if recorded is None else ("present" if recorded else "absent"),
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
        for key, label in self.items:
            self.fields[f"nota_{key}"] = forms.CharField(
                label=label,  # inside the fieldset «Notas y acuerdos por punto de la agenda»
                required=False,
                max_length=4000,
                initial=(meeting.item_notes or {}).get(key, ""),
                widget=forms.Textarea(attrs={**_TEXT, "rows": 2}),
            )
        self.fields["minutes"].initial = meeting.minutes
        self.order_fields([*(f"asistencia_{p.pk}" for p in self.attendees), *(f"nota_{k}" for k, _ in self.items)])
        for name in self.fields:
            _described(name, self)

    def attendance_fields(self):
        return [self[f"asistencia_{p.pk}"] for p in self.attendees]

    def note_fields(self):
        return [self[f"nota_{key}"] for key, _ in self.items]

    def attendance(self) -> dict[int, bool | None]:
        values = {"present": True, "absent": False}
        return {p.pk: values.get(self.cleaned_data.get(f"asistencia_{p.pk}") or "") for p in self.attendees}

    def item_notes(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"nota_{key}", "") for key, _ in self.items}


class MeetingDecisionForm(DecisionForm):
    """A new action decided in the meeting (the admin's decision form, with the back office's widgets)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widgets = {
            "title": forms.TextInput(attrs=_TEXT),
            "causes": forms.SelectMultiple(attrs={"class": "form-select", "size": 5}),
            "owner": forms.Select(attrs={"class": "form-select"}),
            "due_date": forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
            "target_reduction_pct": forms.NumberInput(attrs={**_TEXT, "min": 1, "max": 100}),
            "verification_weeks": forms.NumberInput(attrs={**_TEXT, "min": 1, "max": 52}),
        }
        for name, widget in widgets.items():
            field = self.fields[name]
            widget.choices = getattr(field, "choices", ())
            field.widget = widget
        # a new action's owner choices are all people who can act: no per-person check (one query per label)
        self.fields["owner"].label_from_instance = user_label
        self.fields["title"].error_messages["required"] = "Escribe el título de la acción."
        self.fields["due_date"].error_messages["required"] = "Elige la fecha límite."
        self.fields["owner"].error_messages["required"] = "Elige al responsable."
        self.fields["causes"].help_text = "Las causas que la acción debe reducir (Ctrl o ⌘ para elegir varias)."
        for name in self.fields:
            _described(name, self)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("La fecha límite no puede estar en el pasado.")
        return due

    def clean_target_reduction_pct(self):
        value = self.cleaned_data["target_reduction_pct"]
        if not 1 <= value <= 100:
            raise forms.ValidationError(MSG_TARGET_RANGE)
        return value

    def clean_verification_weeks(self):
        value = self.cleaned_data["verification_weeks"]
        if not 1 <= value <= 52:
            raise forms.ValidationError("Mide entre 1 y 52 semanas.")
        return value


class ActionEditForm(forms.Form):
    """The council changes an action's title, owner (only people who can act) and dates on its page."""

    title = forms.CharField(
        label="Título",
        max_length=150,
        widget=forms.TextInput(attrs=_TEXT),
        error_messages={"required": "Escribe el título de la acción."},
    )
    owner = forms.ModelChoiceField(
        label="Responsable",
        queryset=get_user_model().objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": "Elige al responsable."},
    )
    due_date = forms.DateField(
        label="Fecha límite de implementación",
        widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
        error_messages={"required": "Elige la fecha límite.", "invalid": "Escribe una fecha válida."},
    )
    target_reduction_pct = forms.IntegerField(
        label="Meta de reducción (%)",
        min_value=1,
        max_value=100,
        widget=forms.NumberInput(attrs={**_TEXT, "min": 1, "max": 100}),
        error_messages={
            "min_value": MSG_TARGET_RANGE,
            "max_value": MSG_TARGET_RANGE,
            "required": MSG_TARGET_RANGE,
            "invalid": MSG_TARGET_RANGE,
        },
    )
    verification_weeks = forms.IntegerField(
        label="Semanas de verificación",
        min_value=1,
        max_value=52,
        widget=forms.NumberInput(attrs={**_TEXT, "min": 1, "max": 52}),
        error_messages={
            "min_value": MSG_WEEKS_MIN,
            "max_value": "Mide como máximo 52 semanas.",
            "required": MSG_WEEKS_MIN,
            "invalid": MSG_WEEKS_MIN,
        },
        help_text="Semanas después de implementada en las que se mide el resultado (desde ahí se verifica).",
    )

    def __init__(self, *args, action: ActionItem, **kwargs):
        initial = {
            "title": action.title,
            "owner": action.owner_id,
            "due_date": action.due_date,
            "target_reduction_pct": action.target_reduction_pct,
            "verification_weeks": action.verification_weeks,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.action = action
        restrict_owner(self.fields["owner"], action, establishment_id=action.establishment_id)
        # the choices are people who can act plus the current owner: only that one may need the warning
        current = owner_label(action.owner, action.establishment_id)
        self.fields["owner"].label_from_instance = lambda person: (
            current if person.pk == action.owner_id else user_label(person)
        )
        for name in self.fields:
            _described(name, self)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due != self.action.due_date and due < timezone.localdate():
            raise forms.ValidationError("La nueva fecha límite no puede estar en el pasado.")
        return due
