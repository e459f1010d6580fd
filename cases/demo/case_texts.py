"""What customers write in, in Spanish and English: a subject and a description per topic,
and the products and cities their placeholders are filled with."""

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

# How customers say how pressing their case is, in their own words, by the priority the desk
# gives it: the urgent ones that they cannot work, the low ones that there is no hurry. Not
# every customer says so (URGENCY_SHARE), and now and then one of a normal case overstates it
# with a pressing line — so the text tells the priority as a real desk's does, not always.
URGENCY = {
    "urgent": {
        "es": [
            "Es urgente: no puedo trabajar desde esta mañana.",
            "Por favor, es urgente, todo el equipo está parado.",
            "Necesito una solución inmediata, estamos completamente bloqueados.",
            "Urgente: estamos perdiendo ventas cada hora que pasa.",
            "Es una emergencia, no podemos atender a nuestros clientes.",
            "Urgente, por favor: la operación está detenida.",
        ],
        "en": [
            "This is urgent: we are completely blocked.",
            "Urgent, please: production is down and the whole team is waiting.",
            "We need this fixed immediately, we cannot work.",
            "It's an emergency, we are losing sales every hour.",
        ],
    },
    "high": {
        "es": [
            "Lo necesito resolver pronto, es importante para mí.",
            "Por favor, atiéndanlo pronto: me está afectando bastante.",
            "Es importante, tengo una entrega mañana y lo necesito.",
            "Les agradezco la prioridad, me urge bastante.",
            "Me está causando problemas, ojalá lo revisen pronto.",
        ],
        "en": [
            "Please treat this as a priority, it is affecting my work.",
            "I need this sorted soon, it's important.",
            "It's quite pressing: I have a deadline tomorrow.",
        ],
    },
    "low": {
        "es": [
            "No corre prisa, cuando puedas me cuentas.",
            "Es solo una duda, sin afán.",
            "Sin prisa, pregunto por curiosidad.",
            "Cuando tengan tiempo me responden, gracias.",
            "Tranquilos, no hay afán; es solo una consulta.",
        ],
        "en": [
            "No rush, just wondering.",
            "Whenever you have a moment, thanks.",
            "Just curious, no hurry at all.",
            "No rush at all, it's only a question.",
        ],
    },
}
URGENCY_SHARE = {"urgent": 0.9, "high": 0.85, "normal": 0.03, "low": 0.85}
# The prefix some customers of an urgent case put on its subject.
URGENT_SUBJECT = {"es": "URGENTE: ", "en": "URGENT: "}
