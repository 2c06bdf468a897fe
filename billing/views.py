from django.shortcuts import render

from portal.decorators import family_required


@family_required
def index(request):
    """« Mes factures »: what the family has with the collectivité in this part."""
    return render(request, "billing/index.html")
