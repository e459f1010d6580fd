"""What the benchmark desk's people write (`seed_bench --conversations`): subjects,
descriptions, customers' follow-ups, agents' replies and internal notes in Spanish or
English, about the case's category, for the search benchmark (tests/bench/bench_search.py).

The words a search meets on a real desk: a few very common ones (`hola`, `gracias`, `thanks`),
each category's common ones (`factura` in billing, `pedido` in orders and returns), product
names, numbers, e-mail addresses, accented words that customers often type without their
accents (`envío` / `envio`, `devolución` / `devolucion`), and rare words that turn up in a
few tickets in ten thousand (RARE_WORDS). Drawn from the generator it is given, so a seed
gives the same text every time.
"""

import random
import unicodedata

# Category names as metrics/seed.py's CATEGORIES → what people write about them.
TOPICS: dict[str, dict[str, list[str]]] = {
    "Billing": {
        "es": [
            "la factura {n} tiene un importe de {amount} € que no corresponde",
            "me habéis cobrado dos veces la factura de {month}",
            "necesito una factura rectificativa con el NIF de la empresa",
            "el IVA de la última factura está mal calculado",
            "no encuentro la factura de {month} en mi área de cliente",
        ],
        "en": [
            "invoice {n} shows {amount} € which is not what we agreed",
            "I was charged twice for the {month} invoice",
            "I need a corrected invoice with our company's VAT number",
            "the VAT on my last invoice looks wrong",
        ],
    },
    "Payments": {
        "es": [
            "el pago con tarjeta de {amount} € ha sido rechazado",
            "la domiciliación bancaria no se ha cobrado este mes",
            "quiero cambiar la forma de pago a transferencia",
            "me aparece un cargo de {amount} € que no reconozco en la factura",
            "el reembolso de {amount} € todavía no ha llegado a mi cuenta",
        ],
        "en": [
            "my card payment of {amount} € was declined",
            "the direct debit was not collected this month",
            "the refund of {amount} € has not reached my account yet",
            "there is a charge of {amount} € I do not recognise",
        ],
    },
    "Shipping": {
        "es": [
            "el pedido {n} no ha llegado y el seguimiento no se actualiza",
            "el envío de mi pedido lleva una semana parado en el almacén",
            "el transportista dice que no había nadie en casa, pero sí había",
            "necesito cambiar la dirección de envío del pedido {n}",
            "el paquete llegó abierto y falta una pieza",
        ],
        "en": [
            "order {n} has not arrived and tracking has not changed",
            "the courier says nobody was home but I was there all day",
            "I need to change the delivery address of order {n}",
            "the parcel arrived open and one part is missing",
        ],
    },
    "Returns": {
        "es": [
            "quiero hacer la devolución del pedido {n}",
            "¿cuándo me devolvéis el dinero de la devolución?",
            "la etiqueta de devolución no funciona en la oficina de correos",
            "el producto no es la talla que pedí y quiero cambiarlo",
        ],
        "en": [
            "I would like to return order {n}",
            "when will I get my money back for the return?",
            "the return label does not work at the post office",
        ],
    },
    "Accounts": {
        "es": [
            "no puedo iniciar sesión, dice que la contraseña es incorrecta",
            "no me llega el correo para restablecer la contraseña",
            "quiero cambiar el correo electrónico de mi cuenta a {email}",
            "mi cuenta aparece bloqueada después de varios intentos",
            "quiero darme de baja y borrar mis datos",
        ],
        "en": [
            "I cannot log in, it says my password is wrong",
            "the password reset e-mail never arrives",
            "please change my account e-mail to {email}",
            "my account is locked after several attempts",
        ],
    },
    "General question": {
        "es": [
            "¿tenéis tienda física en {city}?",
            "¿cuál es el horario de atención telefónica?",
            "quería saber si hacéis descuentos para empresas",
            "¿puedo recoger el pedido en una tienda de {city}?",
        ],
        "en": [
            "do you have a shop in {city}?",
            "what are your phone support hours?",
            "do you offer discounts for companies?",
        ],
    },
    "Faulty product": {
        "es": [
            "la {product} no enciende desde ayer",
            "la {product} hace un ruido extraño al arrancar",
            "la pantalla de la {product} parpadea y se apaga",
            "la {product} está en garantía y ha dejado de funcionar",
        ],
        "en": [
            "the {product_en} will not switch on since yesterday",
            "the {product_en} makes a strange noise when it starts",
            "the {product_en} is under warranty and stopped working",
        ],
    },
    "Installation": {
        "es": [
            "no consigo instalar la {product}, el manual no coincide",
            "¿podéis enviar un técnico para la instalación de la {product}?",
            "la aplicación no detecta la {product} por wifi",
            "después de actualizar el firmware la {product} no conecta",
        ],
        "en": [
            "I cannot install the {product_en}, the manual does not match",
            "can you send a technician to install the {product_en}?",
            "the app does not find the {product_en} over wifi",
        ],
    },
}

GREETINGS = {
    "es": ["Hola,", "Buenos días,", "Buenas tardes,", "Hola de nuevo,", ""],
    "en": ["Hello,", "Hi,", "Good morning,", ""],
}
CLOSINGS = {
    "es": ["Gracias.", "Muchas gracias.", "Un saludo.", "Gracias de antemano.", ""],
    "en": ["Thanks.", "Thank you.", "Best regards.", ""],
}
FOLLOW_UPS = {
    "es": [
        "¿Hay alguna novedad sobre mi caso?",
        "Os escribo otra vez porque sigo sin respuesta.",
        "Adjunto la foto que me pedisteis.",
        "Lo he vuelto a intentar esta mañana y sigue igual.",
        "Es bastante urgente, lo necesito para el {day}.",
        "Mi número de teléfono es {phone} por si preferís llamarme.",
    ],
    "en": [
        "Is there any news on my case?",
        "I am writing again as I have not heard back.",
        "I tried again this morning and it is the same.",
        "It is quite urgent, I need it by {day}.",
    ],
}
REPLIES = {
    "es": [
        "Gracias por escribirnos. He revisado tu caso y {fix}.",
        "Siento las molestias. {fix_cap} y te confirmo en cuanto lo tengamos.",
        "Te confirmo que {fix}. Si necesitas algo más, responde a este correo.",
        "Ya está solucionado: {fix}.",
    ],
    "en": [
        "Thanks for writing to us. I have checked your case and {fix_en}.",
        "Sorry for the trouble. {fix_en_cap} and I will confirm as soon as it is done.",
        "All sorted: {fix_en}.",
    ],
}
FIXES = {
    "es": [
        "hemos emitido una factura nueva",
        "hemos enviado el reembolso, tardará entre tres y cinco días",
        "el pedido sale hoy del almacén con envío urgente",
        "hemos restablecido el acceso a tu cuenta",
        "un técnico te llamará para concertar la visita",
        "hemos tramitado la devolución",
        "hemos corregido la dirección de envío",
    ],
    "en": [
        "we have issued a new invoice",
        "we have sent the refund, it takes three to five days",
        "the order leaves the warehouse today by express delivery",
        "we have restored access to your account",
        "a technician will call you to arrange the visit",
    ],
}
NOTES = [
    "Revisado con almacén: el paquete salió el {day}.",
    "Cliente habitual, tratar con prioridad.",
    "Consultado con facturación, pendiente de su respuesta.",
    "Llamé al cliente, no contesta. Reintentar mañana.",
    "Posible duplicado del caso anterior del mismo cliente.",
    "Escalado a proveedor, referencia {n}.",
    "Checked with the warehouse, waiting for the courier.",
    "Customer prefers e-mail over phone.",
]
PRODUCTS = ["impresora", "lavadora", "cafetera", "aspiradora", "tableta", "cámara", "freidora"]
PRODUCTS_EN = ["printer", "washing machine", "coffee maker", "vacuum cleaner", "tablet", "camera"]
CITIES = ["Madrid", "Barcelona", "Sevilla", "Valencia", "Bilbao", "Málaga", "Zaragoza", "Córdoba"]
MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "septiembre"]
# What customers add around the problem.
CONTEXT = {
    "es": [
        "Lo compré hace dos semanas en la web.",
        "Ya os llamé ayer por teléfono y me dijeron que escribiera aquí.",
        "Soy cliente desde hace años y nunca me había pasado.",
        "He revisado las preguntas frecuentes pero no encuentro la solución.",
        "Os dejo mi número de cliente por si lo necesitáis.",
        "Necesito una respuesta lo antes posible, por favor.",
        "No es la primera vez que ocurre con vuestro servicio.",
        "Estaré fuera de casa toda la semana que viene.",
    ],
    "en": [
        "I bought it two weeks ago on your website.",
        "I called yesterday and was told to write here.",
        "I have been a customer for years and this never happened before.",
        "I checked the FAQ but could not find an answer.",
        "Please get back to me as soon as possible.",
    ],
}
SIGN_OFFS = {
    "es": "Quedamos a tu disposición para cualquier otra consulta. Un saludo, el equipo.",
    "en": "Let us know if there is anything else we can do. Kind regards, the support team.",
}
# Words a few tickets in ten thousand hold (RARE_CHANCE each message, one of these).
RARE_WORDS = [
    "zarzaparrilla",
    "ornitorrinco",
    "estrambótico",
    "desvencijado",
    "quisquilloso",
    "otorrinolaringólogo",
    "cascarrabias",
    "murciélago",
    "trampantojo",
    "chirimoya",
    "defenestración",
    "petricor",
]
RARE_CHANCE = 0.0004
RARE_SENTENCES = {
    "es": "Por cierto, el repartidor parecía un poco {rare}.",
    "en": "By the way, the courier mentioned something about {rare}.",
}
# Customers who type without accents (`envio`, `devolucion`).
UNACCENTED_CHANCE = 0.3


def _strip_accents(text: str) -> str:
    return "".join(
        c
        for c in unicodedata.normalize("NFD", text)
        if not unicodedata.combining(c) or c == "\u0303"  # keeps ñ
    )


class Writer:
    """One ticket's text at a time, drawn from `rng` (its own stream, apart from the seed's)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def _fill(self, text: str, ticket_id: int) -> str:
        rng = self.rng
        return text.format(
            n=rng.randrange(10000, 99999),
            amount=f"{rng.randrange(5, 900)},{rng.randrange(100):02d}",
            month=rng.choice(MONTHS),
            email=f"cliente{ticket_id % 9973}@correo.example",
            city=rng.choice(CITIES),
            product=rng.choice(PRODUCTS),
            product_en=rng.choice(PRODUCTS_EN),
            day=f"{rng.randrange(1, 29)}/{rng.randrange(1, 13)}",
            phone=f"6{rng.randrange(10_000_000, 99_999_999)}",
        )

    def _rare(self, language: str) -> str:
        if self.rng.random() >= RARE_CHANCE:
            return ""
        return " " + RARE_SENTENCES[language].format(rare=self.rng.choice(RARE_WORDS))

    def _customer(self, text: str) -> str:
        return _strip_accents(text) if self.rng.random() < UNACCENTED_CHANCE else text

    def opening(self, category: str, language: str, ticket_id: int) -> tuple[str, str]:
        """The subject and the description of a new case."""
        rng = self.rng
        topic = TOPICS.get(category, TOPICS["General question"])[language]
        problem = self._fill(rng.choice(topic), ticket_id)
        subject = problem[0].upper() + problem[1:]
        if len(subject) > 80:
            subject = subject[:77].rsplit(" ", 1)[0] + "…"
        other = self._fill(rng.choice(topic), ticket_id)
        description = " ".join(
            part
            for part in (
                rng.choice(GREETINGS[language]),
                problem[0].upper() + problem[1:] + ".",
                *rng.sample(CONTEXT[language], rng.randrange(1, 4)),
                other[0].upper() + other[1:] + "." if rng.random() < 0.5 else "",
                self._rare(language),
                rng.choice(CLOSINGS[language]),
            )
            if part
        )
        return self._customer(subject), self._customer(description)

    def follow_up(self, language: str, ticket_id: int) -> str:
        rng = self.rng
        text = " ".join(
            part
            for part in (
                rng.choice(GREETINGS[language]),
                self._fill(rng.choice(FOLLOW_UPS[language]), ticket_id),
                *rng.sample(CONTEXT[language], rng.randrange(0, 3)),
                self._rare(language),
                rng.choice(CLOSINGS[language]),
            )
            if part
        )
        return self._customer(text)

    def reply(self, language: str, ticket_id: int) -> str:
        rng = self.rng
        fix, fix_en = rng.choice(FIXES["es"]), rng.choice(FIXES["en"])
        text = rng.choice(REPLIES[language]).format(
            fix=fix,
            fix_cap=fix[0].upper() + fix[1:],
            fix_en=fix_en,
            fix_en_cap=fix_en[0].upper() + fix_en[1:],
        )
        greeting = rng.choice(GREETINGS[language])
        return f"{greeting} {text}{self._rare(language)} {SIGN_OFFS[language]}".strip()

    def note(self, ticket_id: int) -> str:
        return self._fill(self.rng.choice(NOTES), ticket_id) + self._rare("es")


FIRST_NAMES = [
    "Lucía",
    "José",
    "María",
    "Íñigo",
    "Sofía",
    "Álvaro",
    "Begoña",
    "Raúl",
    "Inés",
    "Jesús",
    "Martina",
    "Hugo",
    "Nuria",
    "Andrés",
    "Ángela",
    "Óscar",
    "Emma",
    "Oliver",
    "Chloe",
    "Liam",
]
SURNAMES = [
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Núñez",
    "Ibáñez",
    "Smith",
    "Brown",
    "O'Connor",
    "Müller",
]


def customer_name(rng: random.Random, customer_id: int) -> str:
    """A name as customers have them (accents, two surnames now and then)."""
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    return f"{name} {rng.choice(SURNAMES)}" if rng.random() < 0.4 else name
