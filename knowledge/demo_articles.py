# ruff: noqa: E501 - the articles' sentences are kept whole, one per line
"""The demo desk's help centre (knowledge/demo.py): categories, sections and ~30 articles in
Spanish and English for the demo's ticket categories (cases/demo/world.py). Short, but the
answers a real desk would give."""

# (slug, Spanish name, English name, [(section slug, Spanish, English)])
CATEGORIES = [
    (
        "facturacion",
        "Facturación",
        "Billing",
        [("pagos", "Pagos y facturas", "Payments and invoices")],
    ),
    (
        "acceso",
        "Acceso y contraseñas",
        "Access and passwords",
        [("cuenta", "Tu cuenta", "Your account")],
    ),
    (
        "envios",
        "Envíos",
        "Shipping",
        [("seguimiento", "Seguimiento y entrega", "Tracking and delivery")],
    ),
    (
        "devoluciones",
        "Devoluciones",
        "Returns",
        [("reembolsos", "Devoluciones y reembolsos", "Returns and refunds")],
    ),
    (
        "producto-defectuoso",
        "Producto defectuoso",
        "Defective products",
        [("garantia", "Garantía", "Warranty")],
    ),
    (
        "instalacion",
        "Instalación",
        "Installation",
        [("equipos", "Instalar tu equipo", "Setting up your device")],
    ),
    (
        "consulta-general",
        "Consulta general",
        "General questions",
        [("tiendas", "Tiendas y servicio", "Stores and service")],
    ),
]

# (category, section, slug, status, title_es, body_es, title_en, body_en)
ARTICLES = [
    (
        "facturacion",
        "pagos",
        "descargar-factura",
        "published",
        "Descargar tu factura",
        "Entra en **Mi cuenta › Pedidos**, elige el pedido y pulsa **Descargar factura**. "
        "La factura está disponible en PDF desde el día en que se envía el pedido.\n\n"
        "Si necesitas la factura a nombre de una empresa, escribe su RUT o NIF en **Datos de facturación** antes de pagar.",
        "Download your invoice",
        "Go to **My account › Orders**, choose the order and select **Download invoice**. "
        "The invoice is available as a PDF from the day the order ships.\n\n"
        "If you need it in a company's name, enter its tax id under **Billing details** before paying.",
    ),
    (
        "facturacion",
        "pagos",
        "cobro-duplicado",
        "published",
        "Veo un cobro duplicado en mi tarjeta",
        "Muchas veces el segundo cargo es una **retención temporal** del banco que desaparece en 3 a 5 días hábiles.\n\n"
        "Si después de ese plazo siguen apareciendo dos cobros, envíanos el número de pedido y una captura del estado de cuenta "
        "desde el formulario de soporte y lo devolvemos en un máximo de 10 días.",
        "I see a duplicate charge on my card",
        "Often the second charge is a **temporary hold** by your bank that disappears within 3 to 5 business days.\n\n"
        "If both charges are still there after that, send us the order number and a screenshot of your statement "
        "through the support form and we refund it within 10 days.",
    ),
    (
        "facturacion",
        "pagos",
        "medios-de-pago",
        "published",
        "Medios de pago aceptados",
        "Aceptamos tarjetas de crédito y débito Visa, Mastercard y American Express, transferencia bancaria y pago en tiendas.\n\n"
        "- Las transferencias se confirman en 1 día hábil.\n- En tiendas pagas con el código que recibes por correo.",
        "Accepted payment methods",
        "We accept Visa, Mastercard and American Express credit and debit cards, bank transfer and payment in stores.\n\n"
        "- Transfers are confirmed within 1 business day.\n- In stores you pay with the code we e-mail you.",
    ),
    (
        "facturacion",
        "pagos",
        "cambiar-datos-facturacion",
        "published",
        "Cambiar los datos de facturación",
        "Puedes cambiar el nombre, la dirección y el número fiscal en **Mi cuenta › Datos de facturación**. "
        "Los cambios se aplican a los pedidos nuevos; una factura ya emitida no se modifica, pero podemos anularla y emitir otra si nos escribes dentro del mismo mes.",
        "Change your billing details",
        "You can change the name, address and tax id under **My account › Billing details**. "
        "Changes apply to new orders; an invoice already issued is not changed, but we can cancel it and issue a new one if you write within the same month.",
    ),
    (
        "facturacion",
        "pagos",
        "pago-rechazado",
        "published",
        "Mi pago fue rechazado",
        "Revisa que la fecha de vencimiento y el código de seguridad sean correctos y que la tarjeta tenga habilitadas las compras por internet.\n\n"
        "Si el banco rechaza el pago, no se hace ningún cargo. Prueba con otro medio de pago o llama a tu banco para autorizar la compra.",
        "My payment was declined",
        "Check that the expiry date and security code are right and that the card allows online purchases.\n\n"
        "When the bank declines a payment nothing is charged. Try another payment method or call your bank to authorise the purchase.",
    ),
    (
        "acceso",
        "cuenta",
        "restablecer-contrasena",
        "published",
        "Restablecer tu contraseña",
        "1. En la página de inicio de sesión pulsa **¿Olvidaste tu contraseña?**.\n"
        "2. Escribe el correo de tu cuenta.\n3. Abre el enlace que te enviamos (vale 1 hora) y elige una contraseña nueva.\n\n"
        "Si el correo no llega, revisa la carpeta de spam y espera unos minutos antes de pedir otro.",
        "Reset your password",
        "1. On the sign-in page choose **Forgot your password?**.\n"
        "2. Enter your account's e-mail address.\n3. Open the link we send you (valid for 1 hour) and choose a new password.\n\n"
        "If the e-mail does not arrive, check your spam folder and wait a few minutes before asking again.",
    ),
    (
        "acceso",
        "cuenta",
        "cuenta-bloqueada",
        "published",
        "Mi cuenta está bloqueada",
        "Después de cinco intentos fallidos bloqueamos la cuenta durante 15 minutos para protegerla. "
        "Espera ese tiempo e inténtalo de nuevo, o restablece tu contraseña para entrar de inmediato.",
        "My account is locked",
        "After five failed attempts we lock the account for 15 minutes to protect it. "
        "Wait and try again, or reset your password to get in straight away.",
    ),
    (
        "acceso",
        "cuenta",
        "verificacion-dos-pasos",
        "published",
        "Activar la verificación en dos pasos",
        "En **Mi cuenta › Seguridad** pulsa **Activar verificación en dos pasos** y escanea el código con una aplicación de autenticación. "
        "Guarda los códigos de recuperación en un lugar seguro: te permiten entrar si pierdes el teléfono.",
        "Turn on two-step verification",
        "Under **My account › Security** choose **Turn on two-step verification** and scan the code with an authenticator app. "
        "Keep the recovery codes somewhere safe: they let you in if you lose your phone.",
    ),
    (
        "acceso",
        "cuenta",
        "cambiar-correo",
        "published",
        "Cambiar el correo de tu cuenta",
        "En **Mi cuenta › Perfil** escribe el correo nuevo y confirma con tu contraseña. "
        "Te enviamos un enlace al correo nuevo; el cambio se aplica cuando lo abres.",
        "Change your account's e-mail",
        "Under **My account › Profile** enter the new address and confirm with your password. "
        "We send a link to the new address; the change applies when you open it.",
    ),
    (
        "acceso",
        "cuenta",
        "desbloqueo-manual",
        "internal",
        "Desbloqueo manual de cuentas (interno)",
        "Solo para el equipo: verifica la identidad con dos datos del último pedido antes de desbloquear desde el panel de administración.",
        "Unlocking accounts by hand (internal)",
        "Desk only: check the customer's identity with two details of their last order before unlocking from the admin panel.",
    ),
    (
        "envios",
        "seguimiento",
        "seguir-tu-envio",
        "published",
        "Seguir tu envío",
        "Cuando el pedido sale del almacén te enviamos un correo con el **número de seguimiento**. "
        "También lo ves en **Mi cuenta › Pedidos**. El estado puede tardar hasta 24 horas en actualizarse.",
        "Track your shipment",
        "When the order leaves the warehouse we e-mail you its **tracking number**. "
        "You can also find it under **My account › Orders**. The status may take up to 24 hours to update.",
    ),
    (
        "envios",
        "seguimiento",
        "plazos-de-entrega",
        "published",
        "Plazos de entrega",
        "- Región Metropolitana: 1 a 2 días hábiles.\n- Resto del país: 3 a 5 días hábiles.\n- Zonas extremas: hasta 8 días hábiles.\n\n"
        "Los plazos empiezan a contar cuando el pago está confirmado.",
        "Delivery times",
        "- Capital region: 1 to 2 business days.\n- Rest of the country: 3 to 5 business days.\n- Remote areas: up to 8 business days.\n\n"
        "Times start when the payment is confirmed.",
    ),
    (
        "envios",
        "seguimiento",
        "cambiar-direccion",
        "published",
        "Cambiar la dirección de entrega",
        "Puedes cambiar la dirección mientras el pedido esté **En preparación**, desde **Mi cuenta › Pedidos › Cambiar dirección**. "
        "Una vez despachado, pide el cambio directamente a la empresa de transporte con tu número de seguimiento.",
        "Change the delivery address",
        "You can change the address while the order is **Being prepared**, from **My account › Orders › Change address**. "
        "Once it has shipped, ask the carrier directly with your tracking number.",
    ),
    (
        "envios",
        "seguimiento",
        "pedido-no-llego",
        "published",
        "Mi pedido no ha llegado",
        "Revisa el seguimiento: si dice **Entregado** y no lo tienes, pregunta a vecinos o conserjería y espera 24 horas. "
        "Si el plazo de entrega pasó hace más de 3 días hábiles, escríbenos con el número de pedido y abrimos una investigación con el transportista.",
        "My order has not arrived",
        "Check the tracking: if it says **Delivered** and you do not have it, ask neighbours or the concierge and wait 24 hours. "
        "If the delivery time passed more than 3 business days ago, write to us with the order number and we open an investigation with the carrier.",
    ),
    (
        "envios",
        "seguimiento",
        "costos-de-envio",
        "published",
        "Costos de envío",
        "El envío es gratis en compras sobre $40.000. Bajo ese monto, el costo se calcula en el carrito según la comuna de destino.",
        "Shipping costs",
        "Shipping is free on orders over $40,000. Below that, the cost is shown in the basket according to the destination.",
    ),
    (
        "devoluciones",
        "reembolsos",
        "como-devolver",
        "published",
        "Cómo devolver un producto",
        "Tienes **30 días** desde la entrega. En **Mi cuenta › Pedidos** pulsa **Devolver**, elige el motivo e imprime la etiqueta. "
        "Lleva el paquete a cualquier punto de la empresa de transporte; el envío de vuelta es gratis.",
        "How to return a product",
        "You have **30 days** from delivery. Under **My account › Orders** choose **Return**, pick the reason and print the label. "
        "Take the parcel to any of the carrier's drop-off points; the return shipping is free.",
    ),
    (
        "devoluciones",
        "reembolsos",
        "plazo-reembolso",
        "published",
        "¿Cuándo recibo mi reembolso?",
        "Cuando el producto llega a nuestro almacén lo revisamos en 2 días hábiles y te avisamos por correo. "
        "El reembolso vuelve al mismo medio de pago: en tarjetas puede tardar hasta 10 días hábiles en verse, según tu banco.",
        "When do I get my refund?",
        "When the product reaches our warehouse we check it within 2 business days and e-mail you. "
        "The refund goes back to the same payment method: on cards it may take up to 10 business days to show, depending on your bank.",
    ),
    (
        "devoluciones",
        "reembolsos",
        "cambio-de-talla",
        "published",
        "Cambiar un producto por otro",
        "Para cambiar talla o color, haz una devolución y compra el producto nuevo: así no esperas a que llegue el primero. "
        "El reembolso del producto devuelto se hace como en cualquier devolución.",
        "Exchange a product",
        "To change size or colour, return the product and order the new one: you do not wait for the first to arrive back. "
        "The returned product is refunded as in any return.",
    ),
    (
        "devoluciones",
        "reembolsos",
        "productos-sin-devolucion",
        "published",
        "Productos que no se pueden devolver",
        "Por higiene no aceptamos devoluciones de audífonos intraurales abiertos ni de productos de cuidado personal sin sellos. "
        "Un producto defectuoso siempre tiene garantía, aunque esté abierto.",
        "Products that cannot be returned",
        "For hygiene reasons we do not accept returns of opened in-ear headphones or personal-care products without their seals. "
        "A defective product is always under warranty, even when opened.",
    ),
    (
        "producto-defectuoso",
        "garantia",
        "garantia-legal",
        "published",
        "La garantía de tu producto",
        "Todos los productos tienen **6 meses de garantía legal** desde la compra; algunas marcas ofrecen más, indicado en la ficha del producto. "
        "Durante la garantía puedes elegir reparación, cambio o devolución del dinero.",
        "Your product's warranty",
        "Every product has a **6-month legal warranty** from purchase; some brands offer more, stated on the product page. "
        "During the warranty you choose repair, replacement or a refund.",
    ),
    (
        "producto-defectuoso",
        "garantia",
        "reportar-falla",
        "published",
        "Reportar una falla",
        "Escríbenos desde el formulario de soporte con el número de pedido, una descripción de la falla y, si puedes, una foto o un video corto. "
        "Te respondemos en 1 día hábil con los pasos a seguir.",
        "Report a fault",
        "Write to us through the support form with the order number, a description of the fault and, if you can, a photo or a short video. "
        "We answer within 1 business day with the next steps.",
    ),
    (
        "producto-defectuoso",
        "garantia",
        "no-enciende",
        "published",
        "El equipo no enciende",
        "1. Cárgalo al menos 30 minutos con el cargador original.\n2. Mantén presionado el botón de encendido 15 segundos.\n"
        "3. Prueba otro enchufe y otro cable.\n\nSi sigue sin encender, repórtalo como falla: está cubierto por la garantía.",
        "The device does not turn on",
        "1. Charge it for at least 30 minutes with the original charger.\n2. Hold the power button for 15 seconds.\n"
        "3. Try another socket and another cable.\n\nIf it still does not turn on, report it as a fault: the warranty covers it.",
    ),
    (
        "producto-defectuoso",
        "garantia",
        "producto-danado-en-transporte",
        "published",
        "Llegó dañado en el transporte",
        "Si la caja llegó golpeada, sácale fotos antes de abrirla y escríbenos dentro de 48 horas. "
        "Te enviamos un producto nuevo sin esperar la devolución del dañado.",
        "It arrived damaged",
        "If the box arrived dented, take photos before opening it and write to us within 48 hours. "
        "We send a new product without waiting for the damaged one to come back.",
    ),
    (
        "instalacion",
        "equipos",
        "conectar-wifi",
        "published",
        "Conectar tu equipo al wifi",
        "Abre la aplicación, pulsa **Agregar equipo** y sigue los pasos. El equipo solo funciona con redes de **2,4 GHz**: "
        "si tu router tiene dos redes, elige la que no termina en «5G».",
        "Connect your device to Wi-Fi",
        "Open the app, choose **Add device** and follow the steps. The device works only with **2.4 GHz** networks: "
        "if your router has two networks, choose the one whose name does not end in '5G'.",
    ),
    (
        "instalacion",
        "equipos",
        "actualizar-firmware",
        "published",
        "Actualizar el firmware",
        "Las actualizaciones se instalan solas de noche si el equipo está conectado. Para hacerlo ahora: **Ajustes › Sistema › Buscar actualizaciones**. "
        "No desconectes el equipo mientras se actualiza.",
        "Update the firmware",
        "Updates install themselves at night while the device is connected. To update now: **Settings › System › Check for updates**. "
        "Do not unplug the device while it updates.",
    ),
    (
        "instalacion",
        "equipos",
        "restablecer-fabrica",
        "published",
        "Restablecer de fábrica",
        "Mantén presionado el botón **Reset** 10 segundos hasta que la luz parpadee en naranja. "
        "Se borran la configuración y las redes guardadas; después vuelve a agregarlo en la aplicación.",
        "Factory reset",
        "Hold the **Reset** button for 10 seconds until the light blinks orange. "
        "Settings and saved networks are erased; then add the device again in the app.",
    ),
    (
        "instalacion",
        "equipos",
        "instalacion-a-domicilio",
        "published",
        "Instalación a domicilio",
        "Para equipos grandes ofrecemos instalación a domicilio en la Región Metropolitana. Agrégala en el carrito o pídela hasta 7 días después de la entrega.",
        "Installation at home",
        "For large appliances we offer installation at home in the capital region. Add it in the basket or ask for it up to 7 days after delivery.",
    ),
    (
        "instalacion",
        "equipos",
        "compatibilidad-app",
        "draft",
        "Compatibilidad de la aplicación",
        "Borrador: lista de versiones de Android e iOS compatibles (pendiente de confirmar con el fabricante).",
        "",
        "",
    ),
    (
        "consulta-general",
        "tiendas",
        "horario-atencion",
        "published",
        "Horario de atención",
        "Respondemos correos y el formulario de lunes a viernes de 9:00 a 19:00 y los sábados de 10:00 a 14:00. "
        "Fuera de ese horario puedes dejar tu caso y lo atendemos al día hábil siguiente.",
        "Opening hours",
        "We answer e-mails and the form Monday to Friday 9:00–19:00 and Saturdays 10:00–14:00. "
        "Outside those hours you can leave your case and we take it on the next business day.",
    ),
    (
        "consulta-general",
        "tiendas",
        "retiro-en-tienda",
        "published",
        "Retirar en tienda",
        "Elige **Retiro en tienda** al pagar. Te avisamos por correo cuando esté listo; tienes 10 días para retirarlo con tu carnet y el número de pedido.",
        "Pick up in store",
        "Choose **Pick up in store** at checkout. We e-mail you when it is ready; you have 10 days to collect it with your id and the order number.",
    ),
    (
        "consulta-general",
        "tiendas",
        "disponibilidad-stock",
        "published",
        "¿Hay stock de un producto?",
        "La ficha del producto muestra el stock en línea y en cada tienda. Si dice **Agotado**, pulsa **Avísame** y te escribimos cuando vuelva.",
        "Is a product in stock?",
        "The product page shows online and per-store stock. If it says **Sold out**, choose **Notify me** and we write when it is back.",
    ),
    (
        "consulta-general",
        "tiendas",
        "guion-llamadas",
        "internal",
        "Guion de llamadas (interno)",
        "Saluda con tu nombre, confirma el número de caso y resume la solución antes de cortar.",
        "Call script (internal)",
        "Greet with your name, confirm the case number and sum up the answer before hanging up.",
    ),
]

# What visitors search for that the demo's help centre cannot answer (the content gaps).
GAPS = [
    "factura electronica",
    "pago en cuotas",
    "garantia extendida",
    "app android",
    "cupon de descuento",
    "electronic invoice",
    "gift card",
    "cambiar rut",
]
# What they search for that it answers, as typed.
SEARCHES = [
    "contraseña",
    "password",
    "envío",
    "tracking",
    "devolucion",
    "refund",
    "factura",
    "invoice",
    "garantía",
    "wifi",
    "cobro duplicado",
    "no enciende",
    "horario",
    "stock",
    "reembolso",
    "firmware",
    "retiro en tienda",
    "delivery",
]
