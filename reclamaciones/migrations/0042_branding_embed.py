import reclamaciones.book.branding
import reclamaciones.book.embed
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0041_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="establishment",
            name="embed_origins",
            field=models.TextField(
                blank=True,
                help_text="Uno por línea, por ejemplo https://tienda.example.pe: solo esas páginas pueden mostrar el "
                "libro de este establecimiento dentro de un iframe (book.embed).",
                validators=[reclamaciones.book.embed.validate_embed_origins],
                verbose_name="sitios que pueden insertar el libro",
            ),
        ),
        migrations.AddField(
            model_name="provider",
            name="brand_accent",
            field=models.CharField(
                blank=True,
                help_text="#RRGGBB. Bordes, opciones elegidas y el botón del libro insertado: contraste mínimo 4,5:1.",
                max_length=7,
                validators=[reclamaciones.book.branding.validate_brand_color],
                verbose_name="color de acento",
            ),
        ),
        migrations.AddField(
            model_name="provider",
            name="brand_logo",
            field=models.FileField(
                blank=True,
                help_text="PNG o JPEG. Se guarda reducido y sin metadatos; no se aceptan SVG.",
                max_length=200,
                storage=reclamaciones.book.branding.brand_storage,
                upload_to=reclamaciones.book.branding.brand_logo_path,
                verbose_name="logo",
            ),
        ),
        migrations.AddField(
            model_name="provider",
            name="brand_primary",
            field=models.CharField(
                blank=True,
                help_text="#RRGGBB. Encabezado y botones, con texto blanco encima: contraste mínimo 4,5:1 (WCAG AA).",
                max_length=7,
                validators=[reclamaciones.book.branding.validate_brand_color],
                verbose_name="color principal",
            ),
        ),
    ]
