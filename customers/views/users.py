"""A user's page (the users issue builds on it)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from customers.models import User


@login_required
def user_detail(request, pk: int):
    person = get_object_or_404(
        User.objects.restrict(request.user, "view").select_related("organisation"), pk=pk
    )
    return render(request, "customers/user_detail.html", {"person": person})
