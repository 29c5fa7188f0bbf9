# Webhook events from Meta and inbound messages (issue #7).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('broadcasts', '0002_pipeline'),
        ('transports', '0001_initial'),
        ('whatsapp_gateway', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received_at', models.DateTimeField(auto_now_add=True)),
                ('body_sha256', models.CharField(help_text='Meta redelivers identical bodies; stored once.', max_length=64)),
                ('payload', models.JSONField(default=dict)),
                ('state', models.CharField(choices=[('PENDING', 'Pending (new, or waiting for a wamid the sender has not stored yet)'), ('PROCESSED', 'Processed'), ('UNMATCHED', 'Unmatched (gave up on statuses for unknown wamids)'), ('FAILED', 'Failed (processing kept raising)')], default='PENDING', max_length=10)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, help_text='Not processed again before this.', null=True)),
                ('processed_at', models.DateTimeField(blank=True, null=True)),
                ('unmatched', models.JSONField(blank=True, default=list, help_text='Status items whose wamid no broadcast of this app carries (yet).')),
                ('summary', models.JSONField(blank=True, default=dict, help_text='What processing did, counted by kind.')),
                ('error', models.TextField(blank=True, default='')),
                ('transport', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_events', to='transports.transport')),
            ],
            options={
                'ordering': ['-received_at'],
                'indexes': [models.Index(fields=['state', 'next_attempt_at'], name='webhook_event_state_next_idx')],
                'constraints': [models.UniqueConstraint(fields=('transport', 'body_sha256'), name='webhook_event_unique_body')],
            },
        ),
        migrations.CreateModel(
            name='InboundMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('wa_id', models.CharField(help_text="The sender's WhatsApp id: E.164 digits, no '+'.", max_length=64)),
                ('profile_name', models.CharField(blank=True, default='', max_length=255)),
                ('message_id', models.CharField(help_text="Meta's wamid of the inbound message.", max_length=200, unique=True)),
                ('type', models.CharField(blank=True, default='', max_length=32)),
                ('text', models.TextField(blank=True, default='', help_text='The text body, or a short summary of other types.')),
                ('timestamp', models.DateTimeField(help_text='When the user sent it, per Meta.')),
                ('payload', models.JSONField(default=dict)),
                ('received_at', models.DateTimeField(auto_now_add=True)),
                ('app', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='inbound_messages', to='whatsapp_gateway.app')),
                ('transport', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='inbound_messages', to='transports.transport')),
            ],
            options={
                'ordering': ['-timestamp'],
                'indexes': [models.Index(fields=['transport', 'wa_id', '-timestamp'], name='inbound_transport_waid_ts_idx')],
            },
        ),
    ]
