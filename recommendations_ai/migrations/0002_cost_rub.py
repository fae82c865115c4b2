# Written by hand (issue 20): the ₽ figure stored next to cost_usd.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recommendations_ai', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='textgeneration',
            name='cost_rub',
            field=models.DecimalField(decimal_places=4, default=0, max_digits=12),
        ),
    ]
