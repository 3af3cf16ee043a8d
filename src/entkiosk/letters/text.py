"""The notification letter as plain text, one letter per page (form feed between)."""

from __future__ import annotations

from collections.abc import Iterable
from string import Template

from ..config import Settings
from ..service import IssuedLetter

LETTER = Template("""\
$academy
$establishment
$address
Tél : $phone
Courriel : $email
                                              $city, le $date

                                              $student
                                              $class_line

Objet : mise à disposition de services en ligne

$establishment met à la disposition des élèves un ensemble de services*,
accessibles à l'adresse internet suivante :

    $services_url

Vous trouverez ci-dessous l'identifiant et le mot de passe de votre compte
internet pour accéder à ces services :

    Identifiant : $identifier
    Mot de passe * : $password

* Mot de passe provisoire, à modifier lors de la première connexion.

Vous disposez d'un délai de $months mois pour activer votre compte (jusqu'au
$deadline inclus). Au-delà, votre compte sera supprimé et vous ne pourrez plus
accéder aux services. Un nouveau compte pourra toutefois être créé à votre
demande.

Les règles de bon usage de ces services sont précisées dans la charte en vigueur
dans l'établissement.

Avec mes encouragements.

                                              $head

Ce courrier vous a été remis par votre établissement. Il est nécessaire pour la
première connexion.
""")


def render_letter(letter: IssuedLetter, settings: Settings) -> str:
    est = settings.establishment
    issued = letter.issued_at.astimezone(settings.timezone)
    return LETTER.substitute(
        academy=est.academy,
        establishment=est.name,
        address=est.address,
        phone=est.phone,
        email=est.email,
        city=est.city,
        date=issued.strftime("%d/%m/%Y"),
        student=f"{letter.first_name} {letter.last_name}",
        class_line=f"Classe : {letter.class_name}" if letter.class_name else "",
        services_url=est.services_url,
        identifier=letter.identifier,
        password=letter.provisional_password,
        months=settings.accounts.activation_months,
        deadline=letter.deadline.strftime("%d/%m/%Y"),
        head=est.head,
    )


def render_letters(letters: Iterable[IssuedLetter], settings: Settings) -> str:
    return "\f".join(render_letter(letter, settings) for letter in letters)


