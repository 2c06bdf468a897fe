"""PayFiP, the DGFiP's payment service (shared/payfip.md): two SOAP operations.

``creerPaiementSecurise`` gives an operation id (idOp) the payer is sent to PayFiP with;
PayFiP then posts that idOp to our notification URL, which only means « go and ask »:
``recupererDetailPaiementSecurise`` tells the result (resultrans P or V paid, R or Z
refused, A abandoned), with the numcli, refdet and amount to check against what was asked.
An operation not finished yet answers a fault (P5): it stays pending and a periodic task
asks again; P1 means PayFiP no longer knows it (cleaned after the day): abandoned.

The envelopes are written here with lxml rather than through zeep: two fixed operations
need no WSDL (the published one is known to carry a wrong address, and fetching it at start
would put the DGFiP on our start-up path), and the same few lines parse the answers and
the faults.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode

from django.conf import settings
from lxml import etree

from billing.models import Provider
from billing.payments.base import (
    Checkout,
    InvalidNotification,
    Notification,
    Outcome,
    PaymentRequest,
    ProviderUnavailable,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
RESULTS = {
    "P": Outcome.PAID,
    "V": Outcome.PAID,
    "R": Outcome.FAILED,
    "Z": Outcome.FAILED,
    "A": Outcome.CANCELLED,
}
MIN_CENTS, MAX_CENTS = 100, 9_999_999
TIMEOUT = 15
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class PayfipFault(ProviderUnavailable):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(f"{code} {message}")


def refdet_of(reference: str) -> str:
    """PayFiP's « référence dette »: letters and digits only, 30 at most (2026-GS-000001 →
    2026GS000001)."""
    return re.sub(r"[^A-Za-z0-9]", "", reference)[:30]


def objet_of(label: str) -> str:
    """A label PayFiP accepts: ASCII letters, digits and spaces, 100 characters at most."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9 ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()[:100]


def envelope(operation: str, fields: Mapping[str, str]) -> bytes:
    """Return the SOAP request of ``operation`` with ``fields`` in its ``arg0``."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV, "pai": SERVICE_NS})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = etree.SubElement(body, f"{{{SERVICE_NS}}}{operation}")
    arg = etree.SubElement(call, "arg0")
    for name, value in fields.items():
        etree.SubElement(arg, name).text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _local(element) -> str:
    return etree.QName(element).localname


def answer_fields(xml: bytes) -> dict[str, str]:
    """Return the fields of a SOAP answer's ``return``; raise PayfipFault for a fault."""
    try:
        root = etree.fromstring(xml, PARSER)
    except etree.XMLSyntaxError as error:
        raise ProviderUnavailable("réponse PayFiP illisible") from error
    for element in root.iter():
        if isinstance(element.tag, str) and _local(element) == "Fault":
            texts = {
                _local(child): (child.text or "").strip()
                for child in element.iter()
                if isinstance(child.tag, str)
            }
            raise PayfipFault(
                texts.get("code", "inconnu"),
                texts.get("descriptif") or texts.get("libelle") or texts.get("faultstring", ""),
            )
    for element in root.iter():
        if isinstance(element.tag, str) and _local(element) == "return":
            return {_local(child): (child.text or "").strip() for child in element}
    raise ProviderUnavailable("réponse PayFiP sans résultat")


def call(operation: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Post one operation to the service (PAYFIP_SERVICE_URL) and return its answer."""
    request = urllib.request.Request(  # noqa: S310 (the configured https service)
        settings.PAYFIP_SERVICE_URL,
        data=envelope(operation, fields),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            xml = response.read()
    except urllib.error.HTTPError as error:
        xml = error.read()  # SOAP faults come back as HTTP 500 with their body
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ProviderUnavailable(f"PayFiP injoignable : {error}") from error
    return answer_fields(xml)


class PayfipProvider:
    name = Provider.PAYFIP

    def __init__(self, numcli: str = "", saisie: str = "T"):
        if not numcli:
            from billing.payments import settings_get

            payment_settings = settings_get()
            numcli, saisie = payment_settings.payfip_numcli, payment_settings.payfip_mode
        self.numcli, self.saisie = numcli, saisie

    def create(self, request: PaymentRequest) -> Checkout:
        if not MIN_CENTS <= request.amount_cents <= MAX_CENTS:
            raise ProviderUnavailable("PayFiP accepte de 1,00 € à 99 999,99 €.")
        answer = call(
            "creerPaiementSecurise",
            {
                "exer": str(request.year),
                "mel": request.email,
                "montant": str(request.amount_cents),
                "numcli": self.numcli,
                "objet": objet_of(request.label),
                "refdet": refdet_of(request.debt_reference),
                "saisie": self.saisie,
                "urlnotif": request.notify_url,
                "urlredirect": request.return_url,
            },
        )
        idop = answer.get("idOp", "")
        if not idop:
            raise ProviderUnavailable("PayFiP n'a pas donné d'identifiant d'opération.")
        return Checkout(
            provider_id=idop,
            redirect_url=f"{settings.PAYFIP_PAYMENT_URL}?{urlencode({'idop': idop})}",
        )

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        fields = parse_qs(body.decode("ascii", "replace"))
        idop = (fields.get("idop") or fields.get("idOp") or [""])[0].strip()
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", idop):
            raise InvalidNotification("notification PayFiP sans idop")
        return Notification(provider_id=idop, outcome=Outcome.ASK, message="Notification PayFiP")

    def status(self, *, provider_id: str, expected: Mapping[str, str]) -> Notification:
        try:
            answer = call("recupererDetailPaiementSecurise", {"idOp": provider_id})
        except PayfipFault as fault:
            if fault.code == "P5":
                return Notification(provider_id, Outcome.PENDING, message="PayFiP : en cours")
            if fault.code == "P1":
                return Notification(
                    provider_id, Outcome.CANCELLED, message="PayFiP : opération inconnue (P1)"
                )
            raise
        result = answer.get("resultrans", "")
        if result not in RESULTS:
            raise ProviderUnavailable(f"résultat PayFiP inattendu : {result!r}")
        try:
            amount = int(answer.get("montant", ""))
        except ValueError as error:
            raise ProviderUnavailable("montant PayFiP illisible") from error
        return Notification(
            provider_id=provider_id,
            outcome=RESULTS[result],
            amount_cents=amount,
            message=f"PayFiP resultrans={result} numauto={answer.get('numauto', '')}",
            echoed={key: answer.get(key, "") for key in ("numcli", "refdet", "exer")},
        )
