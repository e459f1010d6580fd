"""The demo desk's shared macros, in Spanish and English, as its managers would keep them."""

from typing import Any

from .. import services
from ..models import Category, MacroStatus, Priority
from .world import World

MACROS: list[dict[str, Any]] = [
    {
        "title": "Envío retrasado: ya va en camino",
        "body_es": (
            "Hola {{ customer.first_name }}:\n\nRevisamos tu pedido del caso "
            "{{ ticket.reference }}: la transportadora confirma que sale mañana y te llegará "
            "en 2 a 3 días hábiles. Te avisaremos con la guía.\n\nUn saludo,\n"
            "{{ agent.first_name }}"
        ),
        "body_en": (
            "Hi {{ customer.first_name }},\n\nWe checked your order ({{ ticket.reference }}): "
            "the carrier confirms it ships tomorrow and should reach you in 2 to 3 working "
            "days. We will send you the tracking number.\n\nBest,\n{{ agent.first_name }}"
        ),
        "add_tags": "envío-retrasado",
        "set_status": MacroStatus.PENDING,
        "category": "Envíos",
    },
    {
        "title": "Cobro duplicado: reembolso en proceso",
        "body_es": (
            "Hola {{ customer.first_name }}:\n\nConfirmamos el cobro duplicado y ya pedimos el "
            "reembolso; lo verás en tu medio de pago en un máximo de 5 días hábiles.\n\n"
            "{{ agent.first_name }}"
        ),
        "body_en": (
            "Hi {{ customer.first_name }},\n\nWe confirmed the double charge and requested the "
            "refund; it will show on your card within 5 working days.\n\n{{ agent.first_name }}"
        ),
        "add_tags": "cobro-duplicado, reembolso",
        "set_priority": Priority.HIGH,
        "category": "Facturación",
    },
    {
        "title": "Contraseña restablecida",
        "body_es": (
            "Hola {{ customer.first_name }}:\n\nRestablecimos tu acceso. Entra con el enlace "
            "que te llegó al correo y elige una contraseña nueva.\n\n{{ agent.first_name }}"
        ),
        "body_en": (
            "Hi {{ customer.first_name }},\n\nWe reset your access. Use the link we e-mailed "
            "you and choose a new password.\n\n{{ agent.first_name }}"
        ),
        "set_status": MacroStatus.RESOLVED,
        "category": "Acceso y contraseñas",
    },
    {
        "title": "Pedir más datos",
        "body_es": (
            "Hola {{ customer.first_name }}:\n\nPara avanzar con tu caso {{ ticket.reference }} "
            "necesitamos el número de pedido y una foto del producto.\n\n{{ agent.first_name }}"
        ),
        "body_en": (
            "Hi {{ customer.first_name }},\n\nTo move your case {{ ticket.reference }} forward "
            "we need the order number and a photo of the product.\n\n{{ agent.first_name }}"
        ),
        "set_status": MacroStatus.PENDING,
    },
    {
        "title": "Nota: cliente VIP",
        "body_es": "Cliente VIP: revisar con prioridad y avisar a su gestor de cuenta.",
        "public": False,
        "add_tags": "vip",
        "set_priority": Priority.HIGH,
    },
]


def create_macros(world: World) -> None:
    manager = world.managers[0]
    for spec in MACROS:
        spec = dict(spec)
        category = spec.pop("category", None)
        if category:
            spec["set_category"] = Category.objects.get(name=category)
        macro = services.save_macro(by=manager, shared=True, **spec)
        world.macros[macro.title] = macro
