"""The starting cause taxonomy (category > cause). The council edits it in the admin afterwards."""

from django.db import migrations

TAXONOMY = [
    (
        "FAC",
        "Facturación y cobros",
        [
            ("FAC-01", "Cobro no reconocido o duplicado", "Cargos que el consumidor no reconoce o cobrados dos veces."),
            (
                "FAC-02",
                "Cargo inesperado o no informado",
                "Comisiones, recargos o conceptos que no se informaron antes.",
            ),
            ("FAC-03", "Precio distinto al ofrecido", "Se cobró más que el precio anunciado o pactado."),
            ("FAC-04", "Comprobante de pago no entregado o con errores", "Boleta o factura faltante o mal emitida."),
        ],
    ),
    (
        "CON",
        "Contrato y condiciones",
        [
            (
                "CON-01",
                "Cambio de condiciones no acordado",
                "Se modificaron plan, tarifa o condiciones sin aceptación.",
            ),
            ("CON-02", "Información engañosa o incompleta", "La publicidad o el vendedor no informó bien lo esencial."),
            ("CON-03", "Dificultad para dar de baja o cancelar", "Trabas para terminar un servicio o suscripción."),
            ("CON-04", "Promoción o garantía no respetada", "No se cumplió una oferta, promoción o condición pactada."),
        ],
    ),
    (
        "ENT",
        "Entrega y disponibilidad",
        [
            ("ENT-01", "Retraso en la entrega", "El producto o servicio llegó después de la fecha prometida."),
            ("ENT-02", "Pedido no entregado", "El pedido nunca llegó."),
            ("ENT-03", "Pedido incompleto o equivocado", "Faltan productos o llegó otro distinto."),
            ("ENT-04", "Producto sin stock después de pagado", "Se vendió algo que no había."),
        ],
    ),
    (
        "PRO",
        "Calidad del producto o servicio",
        [
            ("PRO-01", "Producto defectuoso o dañado", "Falla de fábrica o daño en el transporte."),
            ("PRO-02", "Garantía denegada o demorada", "No se reconoció la garantía o su atención tarda demasiado."),
            ("PRO-03", "Servicio no prestado o prestado mal", "El servicio contratado no se dio o se dio deficiente."),
            ("PRO-04", "Reparación o servicio técnico deficiente", "La reparación no resolvió la falla o la empeoró."),
        ],
    ),
    (
        "DEV",
        "Devoluciones y reembolsos",
        [
            ("DEV-01", "Reembolso no realizado o demorado", "El dinero no vuelve o vuelve tarde."),
            ("DEV-02", "Cambio o devolución rechazado", "Se negó un cambio o devolución que correspondía."),
        ],
    ),
    (
        "ATE",
        "Atención al público",
        [
            ("ATE-01", "Trato inadecuado del personal", "Malos modos, falta de respeto o discriminación."),
            ("ATE-02", "Tiempo de espera excesivo", "Colas, esperas en tienda o en la línea telefónica."),
            (
                "ATE-03",
                "Canal de autoservicio sin salida a una persona",
                "Chatbot, IVR o web sin forma de hablar con alguien.",
            ),
            (
                "ATE-04",
                "Contacto repetido sin solución",
                "El consumidor ya reclamó antes por lo mismo y sigue sin solución.",
            ),
            (
                "ATE-05",
                "Libro de reclamaciones no disponible o negado",
                "No se entregó el libro o el canal virtual falló.",
            ),
            (
                "ATE-06",
                "Datos personales o comunicaciones no deseadas",
                "Uso indebido de datos, llamadas o mensajes no pedidos.",
            ),
        ],
    ),
]


def seed(apps, schema_editor):
    Cause = apps.get_model("reclamaciones", "Cause")
    for code, name, causes in TAXONOMY:
        category, _ = Cause.objects.get_or_create(code=code, defaults={"name": name})
        for cause_code, cause_name, description in causes:
            Cause.objects.get_or_create(
                code=cause_code, defaults={"name": cause_name, "description": description, "parent": category}
            )


class Migration(migrations.Migration):
    dependencies = [("reclamaciones", "0004_cause_taxonomy")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
