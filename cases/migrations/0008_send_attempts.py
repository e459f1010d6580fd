# The send-attempt journal of the e-mail outbox (issue 11, recovery).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_customer_links'),
    ]

    operations = [
        migrations.CreateModel(
            name='OutboundEmailAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='attempt')),
                ('started_at', models.DateTimeField(verbose_name='started')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='ended')),
                ('outcome', models.CharField(choices=[('sending', 'Sending (no end recorded yet)'), ('sent', 'Sent'), ('retry', 'Failed, tried again later'), ('failed', 'Failed for good'), ('abandoned', 'Abandoned (the sender died)')], default='sending', max_length=10, verbose_name='outcome')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('hostname', models.CharField(max_length=255, verbose_name='sender host')),
                ('pid', models.PositiveIntegerField(verbose_name='sender process')),
                ('lease_until', models.DateTimeField(verbose_name='lease held until')),
                ('email', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='send_attempts', to='cases.outboundemail', verbose_name='outgoing e-mail')),
            ],
            options={
                'verbose_name': 'send attempt',
                'verbose_name_plural': 'send attempts',
                'ordering': ['started_at', 'id'],
                'abstract': False,
                'indexes': [models.Index(fields=['outcome', 'lease_until'], name='outbound_attempt_open')],
            },
        ),
    ]
