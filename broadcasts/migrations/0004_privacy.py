# Privacy: the view-personal-data permission and the record of erasures (issue #13).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('broadcasts', '0003_webhooks'),
        ('whatsapp_gateway', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='broadcast',
            options={'ordering': ['id'], 'permissions': [('view_personal_data', 'Can view personal data (full phone numbers)')]},
        ),
        migrations.CreateModel(
            name='Erasure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('erased_at', models.DateTimeField(auto_now_add=True)),
                ('requested_by', models.CharField(blank=True, default='', help_text="API, or the command's user.", max_length=150)),
                ('counts', models.JSONField(blank=True, default=dict, help_text='Rows changed or deleted, by kind.')),
                ('app', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='erasures', to='whatsapp_gateway.app')),
            ],
            options={
                'ordering': ['-erased_at'],
            },
        ),
    ]
