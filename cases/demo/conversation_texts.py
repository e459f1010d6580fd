"""What is written while a case is worked, in Spanish and English: the agents' replies,
questions and notes, the customers' answers and nudges, and the reasons and resolutions
recorded with escalations, reopenings and resolutions."""

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
# What an unhappy customer adds to a message on a case still open: how long they have waited
# and how often they have written (the stories add it to some nudges, answers and reopenings).
IMPATIENCE = {
    "es": [
        "Llevo una semana esperando y nadie me da una respuesta.",
        "Es la tercera vez que escribo por lo mismo.",
        "Ya perdí la paciencia, nadie me soluciona nada.",
        "Sigo esperando, esto es una pésima atención.",
        "Llevo días esperando y cada vez me piden lo mismo.",
    ],
    "en": [
        "I have been waiting for a week and nobody has answered.",
        "This is the third time I write about this.",
        "I'm running out of patience, nobody is solving anything.",
        "Still waiting, this is really poor service.",
    ],
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
