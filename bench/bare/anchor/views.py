from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .forms import FilingForm
from .models import Filing


@require_http_methods(["GET", "POST"])
def filing_create(request):
    form = FilingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        filing = form.save()
        return redirect("anchor:detail", token=filing.token)
    return render(request, "anchor/form.html", {"form": form})


def filing_detail(request, token: str):
    filing = get_object_or_404(Filing, token=token)
    return render(request, "anchor/detail.html", {"filing": filing})
