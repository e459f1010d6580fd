"""Deterministic demo data: a support desk with three teams, eight agents, two managers, ~60
customers and ~400 tickets over the last 90 days.

Every ticket is played through the real services (`register_ticket`, `assign_ticket`,
`add_reply`, `escalate_ticket`, `resolve_ticket` …) with backdated, increasing `at=`
timestamps, so the data obeys the lifecycle and every denormalised counter matches its
events. Nothing is e-mailed (no `acknowledge=True`).

`load_demo()` runs in one transaction and does nothing when the demo login `agent` exists.
Note for receivers of `ticket_resolved` (the surveys app): the demo resolves tickets in the
past through `resolve_ticket`, which sends the signal.
"""

import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import services
from .models import (
    ACTIVE_STATUSES,
    ROLE_GROUPS,
    AssignmentMode,
    BusinessCalendar,
    Category,
    Channel,
    Customer,
    Holiday,
    Language,
    Priority,
    Role,
    SLAPolicy,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
    WorkingHours,
)
from .services.deadlines import record_past_deadlines
from .signals import replaying_history

SEED = 20250317
PASSWORD = "pulso-demo"  # noqa: S105 - the documented demo password
MARKER_USERNAME = "agent"
DAYS = 90
TICKETS = 400


def _split(text: str) -> list[str]:
    """A comma-separated list written as one block of text (keeps long name lists short)."""
    return [item.strip() for item in text.split(",") if item.strip()]


# --- people and reference data ----------------------------------------------------------------

TEAMS = [
    ("Soporte N1 / Mesa de ayuda", 1),
    ("Soporte N2 / Técnico", 2),
    ("Especialistas N3", 3),
]

# username, first name, last name, role, team level (agents only)
STAFF = [
    ("agent", "Valentina", "Rojas", Role.AGENT, 1),
    ("diego.martinez", "Diego", "Martínez", Role.AGENT, 1),
    ("laura.gomez", "Laura", "Gómez", Role.AGENT, 1),
    ("andres.castro", "Andrés", "Castro", Role.AGENT, 1),
    ("camila.ortiz", "Camila", "Ortiz", Role.AGENT, 2),
    ("javier.moreno", "Javier", "Moreno", Role.AGENT, 2),
    ("natalia.vargas", "Natalia", "Vargas", Role.AGENT, 3),
    ("sebastian.rios", "Sebastián", "Ríos", Role.AGENT, 3),
    ("manager", "Mariana", "López", Role.MANAGER, None),
    ("jorge.restrepo", "Jorge", "Restrepo", Role.MANAGER, None),
    ("admin", "Adriana", "Salcedo", Role.ADMIN, None),
]

# name, description, default team level, escalation probability
CATEGORIES = [
    ("Facturación", "Cobros, facturas y medios de pago", 1, 0.15),
    ("Acceso y contraseñas", "Inicio de sesión, bloqueos y verificación", 1, 0.12),
    ("Envíos", "Entregas, guías y direcciones", 1, 0.08),
    ("Devoluciones", "Devoluciones, cambios y reembolsos", 1, 0.08),
    ("Producto defectuoso", "Garantías y fallas de productos", 1, 0.45),
    ("Instalación", "Instalación y configuración de equipos", 2, 0.25),
    ("Consulta general", "Información de productos, tiendas y servicios", 1, 0.04),
    ("Reclamos", "Quejas formales sobre el servicio", 1, 0.25),
]

CHANNEL_WEIGHTS = {
    Channel.EMAIL: 28,
    Channel.WEB: 22,
    Channel.PHONE: 20,
    Channel.CHAT: 15,
    Channel.SOCIAL: 8,
    Channel.IN_PERSON: 4,
    Channel.FIELD_VISIT: 3,
}
PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.NORMAL: 50, Priority.HIGH: 22, Priority.URGENT: 8}
PRIORITY_UP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
}
# Channels where the customer writes in by themselves; the others an agent registers.
SELF_SERVICE = {Channel.EMAIL, Channel.WEB}
LIVE = {Channel.PHONE, Channel.CHAT, Channel.IN_PERSON}

FIRST_NAMES_ES = _split(
    """
    Alejandro, María José, Carlos, Daniela, Juan Pablo, Paula, Santiago, Valeria, Felipe,
    Catalina, Miguel, Isabella, Ricardo, Gabriela, Luis, Mónica, Fernando, Carolina,
    Héctor, Juliana, Óscar, Manuela, Esteban, Lorena, Tomás, Ángela, Mauricio, Sara,
    Julián, Patricia
    """
)
LAST_NAMES_ES = _split(
    """
    García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez,
    Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Gutiérrez, Ramos, Castillo,
    Jiménez, Romero, Álvarez, Mendoza, Herrera, Medina, Ospina, Cárdenas, Zapata, Arango,
    Salazar
    """
)
FIRST_NAMES_EN = _split(
    """
    James, Emily, Michael, Sarah, David, Jessica, Robert, Olivia, Daniel, Emma, Thomas,
    Hannah
    """
)
LAST_NAMES_EN = _split(
    """
    Smith, Johnson, Brown, Taylor, Anderson, Wilson, Clark, Walker, Wright, Mitchell,
    Carter, Turner
    """
)
COMPANIES_ES = _split(
    """
    Distribuidora Andina S.A.S., Café del Quindío, Ferretería El Tornillo,
    Clínica Santa Fe, Colegio San Marcos, Transportes Rápidos del Valle,
    Panadería La Espiga, Hotel Mirador, Inmobiliaria Horizonte, Agencia Creativa Nómada,
    Constructora Bambú, Droguería Vida, Restaurante Sazón Paisa,
    Ruiz & Asociados Contadores
    """
)
COMPANIES_EN = _split(
    """
    Northwind Traders, Blue Harbor Consulting, Greenleaf Cafe, Summit Logistics,
    Brightside Dental
    """
)
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

PRODUCTS = {
    "es": [
        "impresora LX-200",
        "router AX3000",
        "cafetera Barista Pro",
        "aspiradora robot R5",
        "televisor Vista 55",
        "lavadora EcoWash 9 kg",
        "audífonos BT-700",
        "tablet Nova 10",
    ],
    "en": [
        "LX-200 printer",
        "AX3000 router",
        "Barista Pro coffee maker",
        "R5 robot vacuum",
        "Vista 55 TV",
        "EcoWash washing machine",
        "BT-700 headphones",
        "Nova 10 tablet",
    ],
}
CITIES = ["Bogotá", "Medellín", "Cali", "Barranquilla", "Bucaramanga", "Pereira", "Cartagena"]

# --- what people write ------------------------------------------------------------------------
# Placeholders: {order} {invoice} {amount} {product} {city} {nit}.

CASES = {
    "Facturación": {
        "es": [
            (
                "Cobro duplicado en mi tarjeta",
                "Hola, en el extracto de mi tarjeta aparece dos veces el cobro de la factura "
                "{invoice} por {amount}. Solo hice una compra. ¿Me ayudan a revisar y devolver "
                "el cobro repetido?",
            ),
            (
                "No me llegó la factura electrónica",
                "Pagué el pedido {order} hace una semana y todavía no recibo la factura "
                "electrónica en mi correo. La necesito para la contabilidad de la empresa.",
            ),
            (
                "Error en el NIT de la factura",
                "La factura {invoice} salió con el NIT equivocado. El correcto es 900.{nit}. "
                "¿Pueden anularla y emitirla de nuevo?",
            ),
            (
                "Me cobraron un valor distinto al acordado",
                "El asesor me ofreció un descuento del 15 % pero en la factura {invoice} me "
                "cobraron el valor completo de {amount}.",
            ),
            (
                "Cambiar la tarjeta de mi suscripción",
                "Quiero cambiar la tarjeta con la que se paga mi plan mensual porque la anterior "
                "venció. No encuentro la opción en la página.",
            ),
        ],
        "en": [
            (
                "Charged twice for the same order",
                "Hi, my card statement shows the charge for invoice {invoice} twice ({amount}). I "
                "only placed one order. Could you refund the duplicate?",
            ),
            (
                "Invoice never arrived",
                "I paid for order {order} last week but I still have not received the invoice by "
                "e-mail. I need it for our accounts.",
            ),
        ],
    },
    "Acceso y contraseñas": {
        "es": [
            (
                "No puedo iniciar sesión",
                "Desde ayer no puedo entrar a mi cuenta. Pongo la contraseña correcta y me dice "
                "que los datos no son válidos.",
            ),
            (
                "No me llega el correo para restablecer la contraseña",
                "Pedí restablecer la contraseña tres veces y el correo no llega. Ya revisé la "
                "carpeta de spam.",
            ),
            (
                "Cuenta bloqueada por intentos fallidos",
                "Mi cuenta quedó bloqueada después de varios intentos. Necesito entrar hoy para "
                "descargar las facturas del mes.",
            ),
            (
                "Cambiar el correo de mi cuenta",
                "Ya no uso el correo con el que me registré. ¿Cómo lo cambio por uno nuevo sin "
                "perder el historial de pedidos?",
            ),
            (
                "El código de verificación no llega por SMS",
                "Activé la verificación en dos pasos y ahora el código por SMS no me llega al "
                "celular.",
            ),
        ],
        "en": [
            (
                "Can't log in to my account",
                "Since yesterday I cannot log in. The password is correct but the site says the "
                "details are invalid.",
            ),
            (
                "Password reset e-mail not arriving",
                "I requested a password reset three times and never got the e-mail. I already "
                "checked the spam folder.",
            ),
        ],
    },
    "Envíos": {
        "es": [
            (
                "Mi pedido no ha llegado",
                "El pedido {order} tenía fecha de entrega hace tres días y todavía no llega. La "
                "guía no muestra movimiento desde {city}.",
            ),
            (
                "Cambiar la dirección de entrega",
                "Necesito cambiar la dirección de entrega del pedido {order}; me mudé la semana "
                "pasada dentro de {city}.",
            ),
            (
                "El paquete llegó incompleto",
                "Recibí el pedido {order} pero falta uno de los productos: {product}.",
            ),
            (
                "La transportadora dice que no había nadie",
                "La transportadora marcó el pedido {order} como «destinatario ausente», pero "
                "estuve en casa todo el día.",
            ),
        ],
        "en": [
            (
                "My order has not arrived",
                "Order {order} was due three days ago and the tracking has not moved since {city}.",
            ),
            (
                "Package arrived incomplete",
                "I received order {order} but the {product} is missing from the box.",
            ),
        ],
    },
    "Devoluciones": {
        "es": [
            (
                "Quiero devolver un producto",
                "Compré {product} en el pedido {order} y no es lo que esperaba. ¿Cómo hago la "
                "devolución?",
            ),
            (
                "¿Cuándo me devuelven el dinero?",
                "Devolví el pedido {order} hace diez días y todavía no veo el reembolso de "
                "{amount}.",
            ),
            (
                "Cambio por otro modelo",
                "Quiero cambiar mi {product} por el modelo superior. Pago la diferencia si es "
                "necesario.",
            ),
            (
                "No pasaron a recoger la devolución",
                "Programé la recogida de la devolución del pedido {order} para ayer y nadie pasó.",
            ),
        ],
        "en": [
            (
                "Return request",
                "I would like to return the {product} from order {order}. It does not fit my "
                "needs.",
            ),
            (
                "Refund still pending",
                "I sent back order {order} ten days ago and the refund of {amount} is still not on "
                "my card.",
            ),
        ],
    },
    "Producto defectuoso": {
        "es": [
            (
                "Mi {product} no enciende",
                "Compré mi {product} hace dos meses y desde ayer no enciende. Ya probé con otro "
                "tomacorriente y nada.",
            ),
            (
                "Mi {product} se apaga solo",
                "Mi {product} se apaga solo a los pocos minutos de uso. Está en garantía "
                "(pedido {order}).",
            ),
            (
                "Mi {product} llegó golpeado",
                "Abrí la caja del pedido {order} y mi {product} tiene un golpe en un costado y no "
                "funciona bien.",
            ),
            (
                "Mi {product} hace un ruido extraño",
                "Desde la semana pasada mi {product} hace un ruido fuerte al funcionar. ¿Lo cubre "
                "la garantía?",
            ),
        ],
        "en": [
            (
                "My {product} won't turn on",
                "My {product} stopped turning on yesterday. I tried another outlet. It is two "
                "months old (order {order}).",
            ),
            (
                "My {product} arrived damaged",
                "The {product} from order {order} arrived with a dent and does not work properly.",
            ),
        ],
    },
    "Instalación": {
        "es": [
            (
                "Agendar la instalación de mi {product}",
                "Necesito agendar la instalación de mi {product} en {city}. ¿Qué días tienen "
                "disponibles?",
            ),
            (
                "El técnico no llegó a la cita",
                "Tenía cita de instalación ayer entre 8 y 12 en {city} y el técnico nunca llegó "
                "ni llamó.",
            ),
            (
                "No logro configurar mi {product}",
                "Seguí el manual paso a paso pero no logro conectar mi {product} a la red wifi.",
            ),
            (
                "La instalación quedó mal hecha",
                "Ayer instalaron mi {product} y hoy ya no funciona bien.",
            ),
        ],
        "en": [
            (
                "Need help setting up my {product}",
                "I followed the manual but I cannot get my {product} to connect to the wifi.",
            ),
            (
                "Installation appointment",
                "I would like to book the installation of my {product} in {city} next week.",
            ),
        ],
    },
    "Consulta general": {
        "es": [
            (
                "Horario de atención de las tiendas",
                "¿Cuál es el horario de la tienda de {city} los domingos y festivos?",
            ),
            (
                "¿Tienen garantía extendida?",
                "Estoy pensando en comprar {product}. ¿Ofrecen garantía extendida y cuánto cuesta?",
            ),
            (
                "Disponibilidad de un producto",
                "¿Tienen disponible {product} para entrega en {city} esta semana?",
            ),
            (
                "Actualizar mis datos de contacto",
                "Quiero actualizar mi número de celular y la dirección de facturación.",
            ),
        ],
        "en": [
            (
                "Store opening hours",
                "What are the opening hours of your store in {city} on Sundays?",
            ),
            (
                "Extended warranty",
                "Do you offer an extended warranty for the {product}? How much does it cost?",
            ),
        ],
    },
    "Reclamos": {
        "es": [
            (
                "Pésima atención en la tienda",
                "Ayer fui a la tienda de {city} y el asesor fue muy grosero. Quiero dejar una "
                "queja formal.",
            ),
            (
                "Llevo semanas esperando una respuesta",
                "Es la tercera vez que escribo por el pedido {order} y nadie me da una solución "
                "de fondo.",
            ),
            (
                "Queja por cobro indebido",
                "Me cobraron {amount} por un servicio que nunca pedí. Exijo la devolución del "
                "dinero.",
            ),
            (
                "El producto no es el de la publicidad",
                "Compré {product} por la promoción de la página y lo que llegó no tiene las "
                "características anunciadas.",
            ),
        ],
        "en": [
            (
                "Complaint about customer service",
                "I was treated rudely at your store in {city} yesterday. I want to file a formal "
                "complaint.",
            ),
            (
                "Still waiting for an answer",
                "This is the third time I am writing about order {order} and nobody has solved it.",
            ),
        ],
    },
}

RESOLUTIONS = {
    "Facturación": {
        "es": [
            "Verificamos el cobro duplicado y generamos el reembolso; se verá reflejado en 5 a "
            "8 días hábiles.",
            "Anulamos la factura y emitimos una nueva con los datos correctos.",
            "Reenviamos la factura electrónica al correo registrado.",
            "Aplicamos el descuento acordado como nota crédito.",
        ],
        "en": [
            "We confirmed the duplicate charge and issued a refund; it will show in 5 to 8 "
            "business days.",
            "We sent the invoice again to your e-mail address.",
        ],
    },
    "Acceso y contraseñas": {
        "es": [
            "Desbloqueamos la cuenta y enviamos un enlace nuevo para crear la contraseña.",
            "Actualizamos el correo de la cuenta después de validar tu identidad.",
            "Corregimos el número de celular para el código de verificación.",
        ],
        "en": [
            "We unlocked the account and sent a new link to set your password.",
            "We fixed the phone number used for the verification code.",
        ],
    },
    "Envíos": {
        "es": [
            "La transportadora entregó el pedido; lo confirmamos con la guía firmada.",
            "Reprogramamos la entrega a la nueva dirección.",
            "Despachamos el producto faltante sin costo.",
        ],
        "en": [
            "The carrier delivered the order; we confirmed it with the signed receipt.",
            "We shipped the missing item at no cost.",
        ],
    },
    "Devoluciones": {
        "es": [
            "Aprobamos la devolución y programamos la recogida.",
            "Procesamos el reembolso a tu tarjeta de crédito.",
            "Hicimos el cambio por el modelo solicitado.",
        ],
        "en": [
            "We approved the return and booked the pick-up.",
            "We processed the refund to your credit card.",
        ],
    },
    "Producto defectuoso": {
        "es": [
            "Aprobamos la garantía y cambiamos el equipo por uno nuevo.",
            "El servicio técnico reparó el equipo (cambio de la fuente de poder).",
            "Actualizamos el firmware y el equipo volvió a funcionar correctamente.",
        ],
        "en": [
            "We approved the warranty claim and replaced the unit.",
            "A firmware update fixed the problem.",
        ],
    },
    "Instalación": {
        "es": [
            "Realizamos la instalación y firmaste el acta de entrega.",
            "Te guiamos paso a paso y el equipo quedó configurado.",
            "Enviamos un técnico que corrigió la instalación.",
        ],
        "en": [
            "We guided you step by step and the device is now set up.",
            "Our technician completed the installation.",
        ],
    },
    "Consulta general": {
        "es": [
            "Te compartimos la información solicitada.",
            "Te enviamos los horarios y la dirección de las tiendas.",
            "Te explicamos las condiciones de la garantía extendida.",
        ],
        "en": [
            "We sent you the information you asked for.",
            "We explained the extended warranty terms.",
        ],
    },
    "Reclamos": {
        "es": [
            "Ofrecimos disculpas, escalamos el caso a la tienda y te dimos un bono de "
            "compensación.",
            "Revisamos el caso con el área responsable y corregimos el cobro.",
            "Dimos respuesta formal al reclamo dentro de los términos.",
        ],
        "en": [
            "We apologised, raised it with the store manager and added a compensation voucher.",
            "We reviewed the case with the team responsible and corrected the charge.",
        ],
    },
}

FIRST_REPLIES = {
    "es": [
        "Hola {name}, gracias por escribirnos. Ya estamos revisando tu caso y te damos "
        "respuesta lo antes posible.",
        "Hola {name}, lamento el inconveniente. Estoy validando la información con el área "
        "encargada y te escribo hoy mismo con novedades.",
        "Hola {name}, gracias por la información. Ya ubiqué tu solicitud en el sistema y estoy "
        "verificando qué pasó.",
    ],
    "en": [
        "Hi {name}, thanks for reaching out. We are looking into your case and will get back "
        "to you shortly.",
        "Hi {name}, sorry for the trouble. I am checking this with the team in charge and will "
        "update you today.",
    ],
}
# What an agent asks before setting a ticket pending, the customer's answer, and the topics
# where the question makes sense (None: any).
_GOODS = {"Producto defectuoso", "Instalación", "Devoluciones", "Envíos"}
_ONLINE = {"Acceso y contraseñas", "Facturación"}
INFO_EXCHANGES = {
    "es": [
        (
            "Para avanzar necesito que nos envíes una foto del producto y del número de serie, "
            "por favor.",
            "Listo, les envío la foto y el número de serie.",
            _GOODS,
        ),
        (
            "¿Nos confirmas el número de pedido y el correo con el que hiciste la compra?",
            "El número de pedido es {order} y el correo es el mismo de esta solicitud.",
            None,
        ),
        (
            "¿Nos puedes enviar una captura de pantalla del error que te aparece?",
            "Ya les envié la captura; el error dice «sesión expirada».",
            _ONLINE,
        ),
    ],
    "en": [
        (
            "To move forward, could you send us a photo of the product and its serial number?",
            "Done, I sent the photo and the serial number.",
            _GOODS,
        ),
        (
            "Could you confirm the order number and the e-mail you used to buy?",
            "The order number is {order}, same e-mail as this request.",
            None,
        ),
    ],
}
CUSTOMER_NUDGE = {
    "es": [
        "Les escribo de nuevo porque es urgente, por favor ayúdenme.",
        "Olvidé decir que el número de pedido es {order}.",
    ],
    "en": ["Writing again because this is urgent, please help.", "Forgot to say: order {order}."],
}
HANDOVER = {
    "es": [
        "Hola {name}, soy {agent} del equipo especializado. Tomé tu caso y estoy revisando el "
        "diagnóstico.",
        "Hola {name}, te escribe {agent}. Vamos a revisar tu caso en detalle y te cuento qué "
        "encontramos.",
    ],
    "en": ["Hi {name}, I'm {agent} from the specialist team. I have taken over your case."],
}
SOLVED = {  # {resolution} starts lower-case here
    "es": "Hola {name}, {resolution} Si necesitas algo más, respóndenos por este medio.",
    "en": "Hi {name}, {resolution} If you need anything else, just reply here.",
}
REOPEN_BY_CUSTOMER = {
    "es": [
        "El problema volvió a aparecer, por favor revisen de nuevo.",
        "Todavía no veo la solución, sigue igual.",
        "La solución no funcionó, necesito que me ayuden otra vez.",
    ],
    "en": ["The problem is back, please check again.", "It still doesn't work."],
}
RESUMED_REPLIES = {
    "es": ["Hola {name}, lamento que el problema continúe. Ya retomamos tu caso."],
    "en": ["Hi {name}, sorry the problem persists. We are back on your case."],
}
NOTES = [
    "Cliente frecuente, revisar el historial de pedidos.",
    "Validé en el ERP: el pago sí entró dos veces.",
    "Consulté con logística: la guía está retenida en bodega.",
    "Pendiente confirmación del proveedor.",
    "Llamé al cliente y no contestó; intento de nuevo en la tarde.",
    "Caso parecido a otros de esta semana, posible falla general.",
    "El cliente está molesto, manejar con cuidado.",
]
ESCALATION_REASONS = {
    1: [
        "Requiere un diagnóstico técnico que no hacemos en primer nivel.",
        "El cliente pide hablar con un especialista.",
        "Falla recurrente, posible defecto de fábrica.",
        "Supera el monto que podemos aprobar en N1.",
    ],
    2: [
        "Requiere el análisis del especialista de producto.",
        "Posible falla de software, hay que revisar los registros.",
        "Cliente corporativo con varias unidades afectadas.",
    ],
}
REOPEN_REASONS = [
    "El cliente llamó: el problema persiste.",
    "Revisión de calidad: la solución quedó incompleta.",
]


# --- the world the stories play in ------------------------------------------------------------


@dataclass
class World:
    teams: dict[int, Team]
    agents: dict[int, list[User]]
    managers: list[User]
    categories: list[tuple[Category, float]]
    customers: list[Customer]
    churned: set[int] = field(default_factory=set)


Step = tuple[float, Callable[[Ticket, datetime], Any]]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _create_staff(
    world_teams: dict[int, Team], today: date
) -> tuple[dict[int, list[User]], list[User]]:
    password = make_password(PASSWORD)  # hashed once: hashing is deliberately slow
    # Last week is the demo's invented past: its weekly digest counts as sent. The first
    # digest reports the week the demo was started in (metrics.digest.last_full_week).
    last_week = today - timedelta(days=today.weekday() + 7)
    groups = {role: Group.objects.get_or_create(name=name)[0] for role, name in ROLE_GROUPS.items()}
    agents: dict[int, list[User]] = {1: [], 2: [], 3: []}
    managers: list[User] = []
    for username, first, last, role, level in STAFF:
        user = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            password=password,
            email=f"{_ascii(first)}.{_ascii(last)}@pulso.example.com",
            language=Language.SPANISH,
            is_staff=role in (Role.MANAGER, Role.ADMIN),
            is_superuser=role == Role.ADMIN,
            weekly_digest_sent_for=last_week,
        )
        user.groups.add(groups[role])
        if role == Role.AGENT:
            world_teams[level].members.add(user)
            agents[level].append(user)
        elif role == Role.MANAGER:
            managers.append(user)
    return agents, managers


def _create_customers(rng: random.Random, today: date) -> tuple[list[Customer], set[int]]:
    people = [("es", f, la) for f in FIRST_NAMES_ES for la in LAST_NAMES_ES]
    english = [("en", f, la) for f in FIRST_NAMES_EN for la in LAST_NAMES_EN]
    chosen = rng.sample(people, 50) + rng.sample(english, 10)
    rng.shuffle(chosen)
    customers, churned = [], set()
    used_emails = set()
    for index, (language, first, last) in enumerate(chosen):
        companies = COMPANIES_ES if language == "es" else COMPANIES_EN
        company = rng.choice(companies) if rng.random() < 0.55 else ""
        domain = rng.choice(EMAIL_DOMAINS)
        local = f"{_ascii(first).replace(' ', '')}.{_ascii(last)}"
        email = f"{local}@{domain}"
        if email in used_emails:
            email = f"{local}{index}@{domain}"
        used_emails.add(email)
        if language == "es":
            mobile = (rng.randint(0, 25), rng.randint(100, 999), rng.randint(0, 9999))
            phone = f"+57 3{mobile[0]:02d} {mobile[1]} {mobile[2]:04d}"
        else:
            phone = f"+1 202 555 01{rng.randint(0, 99):02d}"
        customer = services.find_or_create_customer(
            email=email,
            name=f"{first} {last}",
            phone=phone,
            company=company,
            language=language,
        )
        recent = rng.random() < 0.12
        since = today - timedelta(days=rng.randint(20, 85) if recent else rng.randint(120, 730))
        services.update_customer(customer=customer, by=None, active_since=since)
        customers.append(customer)
    # About eight customers left in the last 90 days: long-standing ones.
    long_standing = [c for c in customers if c.active_since < today - timedelta(days=120)]
    for customer in rng.sample(long_standing, 8):
        services.update_customer(
            customer=customer, by=None, churned_at=today - timedelta(days=rng.randint(3, 88))
        )
        churned.add(customer.pk)
    return customers, churned


# The demo's SLA: levels 1 and 2 work office hours in Bogotá (Colombia's fixed-date
# holidays off), level 3 is on call around the clock. (first response, resolution) minutes.
SLA_POLICIES = [
    ("Urgente", Priority.URGENT, 30, 4 * 60),
    ("Alta", Priority.HIGH, 60, 8 * 60),
    ("Normal", Priority.NORMAL, 4 * 60, 24 * 60),
    ("Baja", Priority.LOW, 8 * 60, 72 * 60),
]
FIXED_HOLIDAYS = [(1, 1, "Año Nuevo"), (5, 1, "Día del Trabajo"), (7, 20, "Independencia"),
                  (8, 7, "Batalla de Boyacá"), (12, 8, "Inmaculada Concepción"),
                  (12, 25, "Navidad")]  # fmt: skip


def _sla_setup(teams: dict[int, Team], today: date) -> None:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Oficina Bogotá", defaults={"time_zone": "America/Bogota"}
    )
    if created:
        for weekday in range(5):
            WorkingHours.objects.create(
                calendar=calendar, weekday=weekday, opens=dt_time(8), closes=dt_time(18)
            )
        WorkingHours.objects.create(
            calendar=calendar, weekday=5, opens=dt_time(9), closes=dt_time(13)
        )
        for year in (today.year - 1, today.year, today.year + 1):
            for month, day, name in FIXED_HOLIDAYS:
                Holiday.objects.create(calendar=calendar, day=date(year, month, day), name=name)
    for level in (1, 2):
        teams[level].calendar = calendar
        teams[level].save(update_fields=["calendar"])
    for name, priority, first, resolution in SLA_POLICIES:
        SLAPolicy.objects.get_or_create(
            name=name,
            defaults={
                "priority": priority,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
            },
        )


def _build_world(rng: random.Random, today: date) -> World:
    teams = {}
    for name, level in TEAMS:
        teams[level], _created = Team.objects.get_or_create(name=name, defaults={"level": level})
    _sla_setup(teams, today)
    agents, managers = _create_staff(teams, today)
    categories = []
    for name, description, level, escalation in CATEGORIES:
        category, _created = Category.objects.get_or_create(
            name=name, defaults={"description": description, "default_team": teams[level]}
        )
        categories.append((category, escalation))
    customers, churned = _create_customers(rng, today)
    return World(teams, agents, managers, categories, customers, churned)


# --- one ticket's story -----------------------------------------------------------------------


def _outcome(rng: random.Random, age_days: float) -> str:
    if age_days < 2:
        table = {Status.NEW: 45, Status.OPEN: 25, Status.PENDING: 12, Status.RESOLVED: 18}
    elif age_days < 7:
        table = {
            Status.NEW: 10,
            Status.OPEN: 22,
            Status.PENDING: 20,
            Status.RESOLVED: 40,
            Status.CLOSED: 10,
        }
    elif age_days < 20:
        table = {Status.OPEN: 8, Status.PENDING: 7, Status.RESOLVED: 35, Status.CLOSED: 50}
    else:
        table = {Status.OPEN: 2, Status.PENDING: 2, Status.RESOLVED: 8, Status.CLOSED: 88}
    return _pick(rng, table)


def _first_response_minutes(rng: random.Random, channel: str, priority: str) -> float:
    if channel in LIVE:
        return rng.uniform(1, 15)
    median = {Priority.URGENT: 25, Priority.HIGH: 90, Priority.NORMAL: 240, Priority.LOW: 600}
    minutes = median[priority] * rng.lognormvariate(0, 0.8)
    return min(max(minutes, 4), 26 * 60)


class Story:
    """Plans one ticket as a list of (minutes after the previous step, service call), tracking
    the team and assignee the calls will produce, then plays it with backdated timestamps."""

    def __init__(
        self,
        world: World,
        rng: random.Random,
        created_at: datetime,
        customer: Customer,
        outcome: str,
    ):
        self.world, self.rng, self.created_at = world, rng, created_at
        self.customer, self.outcome = customer, outcome
        self.lang = customer.language if customer.language in ("es", "en") else "es"
        self.churned = customer.pk in world.churned
        self.category, self.escalation_rate = rng.choice(world.categories)
        self.channel = _pick(rng, CHANNEL_WEIGHTS)
        self.priority = _pick(rng, PRIORITY_WEIGHTS)
        if self.category.name == "Reclamos" and self.priority == Priority.LOW:
            self.priority = Priority.HIGH
        # Web-form customers often leave the topic empty; an agent classifies it later and the
        # ticket starts with the first-level team.
        self.unclassified = self.channel == Channel.WEB and rng.random() < 0.3
        self.team = world.teams[1] if self.unclassified else self.category.default_team
        self.level = self.team.level
        subject, description = rng.choice(CASES[self.category.name][self.lang])
        self.fields = self._fields()
        self.subject = subject.format(**self.fields)
        self.subject = self.subject[0].upper() + self.subject[1:]
        self.description = description.format(**self.fields)
        self.registrar = None if self.channel in SELF_SERVICE else rng.choice(world.agents[1])
        self.assignee: User | None = None
        if (
            self.registrar
            and self.registrar in world.agents[self.level]
            and (self.channel in LIVE and rng.random() < 0.6)
        ):
            self.assignee = self.registrar  # took the call and kept the case
        self.registered = (self.team, self.assignee)
        self.steps: list[Step] = []
        self.answer = ""  # the customer's answer to the last question (see _pending)
        self.first_name = customer.name.split()[0]

    def _fields(self) -> dict[str, str]:
        rng = self.rng
        amount = rng.randint(3, 180) * 5000
        return {
            "order": f"PED-{rng.randint(10000, 99999)}",
            "invoice": f"FE-{rng.randint(1000, 9999)}",
            "amount": f"${amount:,}".replace(",", ".")
            if self.lang == "es"
            else f"US${amount / 4000:,.2f}",
            "product": rng.choice(PRODUCTS[self.lang]),
            "city": rng.choice(CITIES),
            "nit": f"{rng.randint(100, 999)}.{rng.randint(100, 999)}-{rng.randint(1, 9)}",
        }

    def _text(self, options, **extra) -> str:
        text = self.rng.choice(options) if isinstance(options, list) else options
        return text.format(name=self.first_name, **self.fields, **extra)

    def _add(self, minutes: float, call: Callable[[Ticket, datetime], Any]) -> None:
        self.steps.append((max(minutes, 0.5), call))

    # --- planned actions (each appends one service call) -----------------------------------

    def _assign(self, minutes: float) -> None:
        agent = self.rng.choice(self.world.agents[self.level])
        by = self.rng.choice(self.world.managers) if self.rng.random() < 0.2 else agent
        self._add(
            minutes, lambda t, at: services.assign_ticket(ticket=t, by=by, assignee=agent, at=at)
        )
        self.assignee = agent

    def _reply(self, minutes: float, body: str) -> None:
        by = self.assignee
        self._add(minutes, lambda t, at: services.add_reply(ticket=t, by=by, body=body, at=at))

    def _note(self, minutes: float) -> None:
        by, body = self.assignee, self.rng.choice(NOTES)
        self._add(
            minutes,
            lambda t, at: services.add_reply(ticket=t, by=by, body=body, public=False, at=at),
        )

    def _customer(self, minutes: float, body: str) -> None:
        self._add(minutes, lambda t, at: services.add_customer_reply(ticket=t, body=body, at=at))

    def _escalate(self, minutes: float) -> None:
        by, reason = self.assignee, self.rng.choice(ESCALATION_REASONS[self.level])
        team = self.world.teams[self.level + 1]
        self._add(
            minutes,
            lambda t, at: services.escalate_ticket(
                ticket=t, by=by, reason=reason, team=team, at=at
            ),
        )
        self.level += 1
        self.team = team
        # Nobody in the receiving team had it: escalate_ticket unassigns, a member picks it up.
        self.assignee = self.rng.choice(self.world.agents[self.level])
        agent = self.assignee
        self._add(
            self.rng.uniform(10, 240),
            lambda t, at: services.assign_ticket(ticket=t, by=agent, assignee=agent, at=at),
        )
        if self.rng.random() < 0.5:
            self._note(self.rng.uniform(5, 120))
        self._reply(
            self.rng.uniform(15, 360), self._text(HANDOVER[self.lang], agent=agent.first_name)
        )

    def _classify(self, minutes: float, by: User, **changes) -> None:
        self._add(
            minutes, lambda t, at: services.classify_ticket(ticket=t, by=by, at=at, **changes)
        )

    def _resume(self, minutes: float) -> None:
        by = self.assignee
        self._add(minutes, lambda t, at: services.resume_ticket(ticket=t, by=by, at=at))

    def _close(self, minutes: float, by: User | None) -> None:
        self._add(minutes, lambda t, at: services.close_ticket(ticket=t, by=by, at=at))

    def _pending(self, minutes: float) -> None:
        """Ask the customer for something and wait; `self.answer` is what they will send."""
        fitting = [
            (ask, answer)
            for ask, answer, topics in INFO_EXCHANGES[self.lang]
            if topics is None or self.category.name in topics
        ]
        ask, self.answer = self.rng.choice(fitting)
        self._reply(minutes, self._text(ask))
        by = self.assignee
        self._add(1, lambda t, at: services.set_pending(ticket=t, by=by, at=at))

    def _resolve(self, minutes: float) -> None:
        rng = self.rng
        resolution = rng.choice(RESOLUTIONS[self.category.name][self.lang])
        if rng.random() < 0.75:
            lowered = resolution[0].lower() + resolution[1:]
            self._reply(minutes, self._text(SOLVED[self.lang], resolution=lowered))
            minutes = rng.uniform(1, 30)
        by = self.assignee
        self._add(
            minutes,
            lambda t, at: services.resolve_ticket(ticket=t, by=by, resolution=resolution, at=at),
        )

    def _reopen(self, minutes: float) -> None:
        if self.rng.random() < 0.7:
            self._customer(minutes, self._text(REOPEN_BY_CUSTOMER[self.lang]))
        else:
            by, reason = self.assignee, self.rng.choice(REOPEN_REASONS)
            self._add(
                minutes, lambda t, at: services.reopen_ticket(ticket=t, by=by, reason=reason, at=at)
            )
        self._reply(self.rng.uniform(20, 600), self._text(RESUMED_REPLIES[self.lang]))

    def _work_time(self) -> float:
        """Minutes between the last exchange and the resolution."""
        if self.channel in LIVE and self.rng.random() < 0.5:
            return self.rng.uniform(5, 90)
        return min(60 * 20 * self.rng.lognormvariate(0, 0.9), 60 * 24 * 8)

    # --- the plot -----------------------------------------------------------------------------

    def plan(self) -> "Story":
        rng, outcome = self.rng, self.outcome
        if outcome == Status.NEW:
            if rng.random() < 0.2:
                self._customer(rng.uniform(20, 600), self._text(CUSTOMER_NUDGE[self.lang]))
            if self.assignee is None and rng.random() < 0.4:
                self._assign(rng.uniform(5, 120))
            if self.assignee is not None and rng.random() < 0.3:
                self._note(rng.uniform(5, 60))
            return self

        first_response = _first_response_minutes(rng, self.channel, self.priority)
        spent = 0.0
        if self.unclassified:
            minutes = first_response * rng.uniform(0.1, 0.4)
            self._classify(minutes, rng.choice(self.world.agents[1]), category=self.category)
            spent += minutes
        if self.assignee is None:
            minutes = (first_response - spent) * rng.uniform(0.2, 0.7)
            self._assign(minutes)
            spent += minutes
        self._reply(first_response - spent, self._text(FIRST_REPLIES[self.lang]))
        if self.priority != Priority.URGENT and rng.random() < 0.08:  # worse than it looked
            priority = PRIORITY_UP[self.priority]
            self._classify(rng.uniform(5, 60), self.assignee, priority=priority)
        if rng.random() < 0.3:
            self._note(rng.uniform(5, 240))

        escalation = self.escalation_rate * (1.5 if self.churned else 1)
        if self.level < 3 and rng.random() < escalation:
            self._escalate(rng.uniform(30, 60 * 24))
            if self.level < 3 and rng.random() < 0.3:
                self._escalate(rng.uniform(60, 60 * 48))

        if outcome == Status.PENDING:
            self._pending(rng.uniform(30, 60 * 24))
            return self
        if rng.random() < 0.35:
            self._pending(rng.uniform(30, 60 * 12))
            if rng.random() < 0.85:
                self._customer(rng.uniform(60, 60 * 48), self._text(self.answer))
            else:
                self._resume(rng.uniform(60 * 24, 60 * 72))
        if outcome == Status.OPEN:
            if rng.random() < 0.15:
                self._resolve(self._work_time())
                self._reopen(rng.uniform(60, 60 * 72))
            return self

        self._resolve(self._work_time())
        reopen = (
            0.3 if self.churned else 0.18 if self.category.name == "Producto defectuoso" else 0.1
        )
        rounds = 0
        while rounds < 2 and rng.random() < reopen:
            self._reopen(rng.uniform(60, 60 * 96))
            self._resolve(self._work_time())
            rounds += 1
            reopen /= 3
        if outcome == Status.CLOSED:
            if rng.random() < 0.8:  # closed by the system after the waiting period
                self._close(rng.uniform(60 * 72, 60 * 24 * 7), None)
            else:
                self._close(rng.uniform(60, 60 * 24 * 3), self.assignee)
        return self

    def play(self, now: datetime) -> Ticket:
        """Register the ticket at `created_at` and run the planned steps in order, squeezing
        the delays so the last one happens before `now`."""
        ticket = services.register_ticket(
            by=self.registrar,
            customer=self.customer,
            channel=self.channel,
            subject=self.subject,
            description=self.description,
            priority=self.priority,
            category=None if self.unclassified else self.category,
            team=self.registered[0],
            assignee=self.registered[1],
            at=self.created_at,
        )
        total = sum(minutes for minutes, _call in self.steps)
        room = (now - self.created_at).total_seconds() / 60 - 5
        scale = min(1.0, room * 0.95 / total) if total else 1.0
        at = self.created_at
        for minutes, call in self.steps:
            at += timedelta(minutes=minutes * scale)
            call(ticket, at)
        return ticket


# --- the whole desk ---------------------------------------------------------------------------


# Tickets per hour of the day from 06:00 to 21:00: a morning peak and an after-lunch one.
HOURLY_WEIGHTS = [1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1]


def _creation_times(rng: random.Random, now: datetime, count: int) -> list[datetime]:
    """Office-hours creation times over the last DAYS days, busier recently, fewer at weekends,
    sorted so references grow with time."""
    local_now = timezone.localtime(now)
    times = []
    while len(times) < count:
        age = rng.uniform(0, 4) if rng.random() < 0.2 else rng.uniform(0, DAYS)
        day = (local_now - timedelta(days=age)).date()
        if day.weekday() >= 5 and rng.random() < 0.6:
            continue
        hour = rng.choices(range(6, 22), weights=HOURLY_WEIGHTS)[0]
        moment = timezone.make_aware(
            datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))
        )
        if moment < now - timedelta(minutes=20):
            times.append(moment)
    return sorted(times)


def _customer_for(
    rng: random.Random, world: World, moment: datetime, weights: dict[int, float]
) -> Customer:
    day = timezone.localtime(moment).date()
    eligible = [
        c
        for c in world.customers
        if c.active_since <= day and (c.churned_at is None or day <= c.churned_at)
    ]
    return rng.choices(eligible, weights=[weights[c.pk] for c in eligible])[0]


def load_demo(
    *, seed: int = SEED, tickets: int = TICKETS, now: datetime | None = None
) -> dict | None:
    """Create the demo desk in one transaction. Returns a summary, or None when the demo is
    already there (the login `agent` exists)."""
    started = time.monotonic()
    now = now or timezone.now()
    rng = random.Random(seed)
    # Replaying the past: the services run as usual, but no e-mail or survey goes out.
    with transaction.atomic(), replaying_history():
        if User.objects.filter(username=MARKER_USERNAME).exists():
            return None
        world = _build_world(rng, timezone.localdate(now))
        # A few customers write a lot; churned ones a little more than most.
        weights = {
            c.pk: min(rng.paretovariate(1.6), 8) * (1.8 if c.pk in world.churned else 1)
            for c in world.customers
        }
        for moment in _creation_times(rng, now, tickets):
            customer = _customer_for(rng, world, moment, weights)
            age_days = (now - moment).total_seconds() / 86400
            Story(world, rng, moment, customer, _outcome(rng, age_days)).plan().play(now)
        # What the beat would have done by now (history: no e-mails): the automatic close of
        # tickets resolved AUTO_CLOSE_DAYS ago, and the breaches of the open ones, each at the
        # moment it fell. "Now" is when the load ends, not when it began: a deadline that
        # fell while the stories were played (the load takes half a minute, longer on a busy
        # machine) is the demo's past too, and the beat's first check must not find it.
        # From now on level 1 hands new cases out in turn.
        now += timedelta(seconds=time.monotonic() - started)
        _close_as_the_beat_would_have(now)
        _record_past_deadlines(now)
        Team.objects.filter(level=1).update(assignment=AssignmentMode.ROUND_ROBIN)
    return summary(elapsed=time.monotonic() - started)


def _record_past_deadlines(now: datetime) -> None:
    """Each open ticket's warnings and breaches that fell before `now`, marked when they fell
    and escalating nothing now: a load-time escalation would date the past's breaches today
    and inflate this period's escalation rate (the stories hold the demo's escalations)."""
    open_with_clocks = Ticket.objects.filter(
        sla_policy__isnull=False, status__in=ACTIVE_STATUSES
    ).select_related("sla_policy")
    for ticket in open_with_clocks:
        record_past_deadlines(ticket, now)


def _close_as_the_beat_would_have(now: datetime) -> None:
    """Close each resolved ticket whose waiting period ended before `now`, at that moment."""
    wait = timedelta(days=settings.AUTO_CLOSE_DAYS)
    for ticket in Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=now - wait):
        services.close_ticket(ticket=ticket, by=None, at=ticket.resolved_at + wait)


def summary(*, elapsed: float | None = None) -> dict:
    by_status = Counter(Ticket.objects.values_list("status", flat=True))
    by_channel = Counter(Ticket.objects.values_list("channel", flat=True))
    return {
        "elapsed": elapsed,
        "teams": Team.objects.count(),
        "agents": User.objects.filter(groups__name=ROLE_GROUPS[Role.AGENT]).count(),
        "managers": User.objects.filter(groups__name=ROLE_GROUPS[Role.MANAGER]).count(),
        "customers": Customer.objects.count(),
        "churned": Customer.objects.filter(churned_at__isnull=False).count(),
        "categories": Category.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "by_channel": {c.value: by_channel.get(c.value, 0) for c in Channel},
        "escalated": Ticket.objects.filter(escalation_count__gt=0).count(),
        "reopened": Ticket.objects.filter(reopen_count__gt=0).count(),
    }
