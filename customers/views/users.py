"""Customer pages. Every object is fetched through the scoping API: foreign ones are a 404."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from customers.models import Organisation, User


@login_required
def customer_list(request):
    organisations = Organisation.objects.restrict(request.user, "view").select_related("parent")
    return render(request, "customers/list.html", {"organisations": organisations[:100]})


@login_required
def customer_detail(request, pk: int):
    organisation = get_object_or_404(Organisation.objects.restrict(request.user, "view"), pk=pk)
    return render(request, "customers/detail.html", {"organisation": organisation})


@login_required
def user_detail(request, pk: int):
    person = get_object_or_404(
        User.objects.restrict(request.user, "view").select_related("organisation"), pk=pk
    )
    return render(request, "customers/user_detail.html", {"person": person})
