# Customer links that expire and can be withdrawn, notices about a customer (the warning to
# an old e-mail address), and the record of changes to a customer's details (issue 11).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0006_email_channel'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='at')),
                ('changes', models.JSONField(default=dict, verbose_name='changes')),
                ('by', models.ForeignKey(blank=True, help_text='Empty when the system changed it.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='audit', to='cases.customer', verbose_name='customer')),
            ],
            options={
                'verbose_name': 'customer change',
                'verbose_name_plural': 'customer changes',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['customer', 'at'], name='customer_change_time')],
            },
        ),
        migrations.AddField(
            model_name='outboundemail',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='cases.customer'),
        ),
        migrations.AddField(
            model_name='outboundemail',
            name='to_address',
            field=models.EmailField(blank=True, help_text="Set: sent here, not to the customer's address.", max_length=254),
        ),
        migrations.AddField(
            model_name='ticketaccesstoken',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='outboundemail',
            name='kind',
            field=models.CharField(choices=[('ticket_received', 'Case received'), ('agent_reply', 'Reply to the customer'), ('ticket_resolved', 'Case resolved'), ('customer_link', 'New link to the case'), ('email_changed', 'Customer e-mail changed'), ('ticket_assigned', 'Ticket assigned'), ('ticket_escalated', 'Ticket escalated to the team')], max_length=30),
        ),
        migrations.AlterField(
            model_name='outboundemail',
            name='ticket',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='cases.ticket'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('classified', 'Classified'), ('assigned', 'Assigned'), ('replied', 'Public reply'), ('note', 'Internal note'), ('customer_replied', 'Customer reply'), ('escalated', 'Escalated'), ('pending', 'Set pending'), ('resumed', 'Back to open'), ('resolved', 'Resolved'), ('reopened', 'Reopened'), ('closed', 'Closed'), ('survey_skipped', 'Survey not sent'), ('survey_withdrawn', 'Survey withdrawn'), ('survey_answered', 'Survey answered'), ('follow_up_opened', 'Follow-up opened'), ('follow_up_updated', 'Follow-up updated'), ('sla_applied', 'SLA deadlines set'), ('sla_warning', 'SLA deadline near'), ('sla_breached', 'SLA deadline missed'), ('links_revoked', 'Customer links withdrawn'), ('link_resent', 'New customer link sent')], max_length=20, verbose_name='kind'),
        ),
        migrations.AddConstraint(
            model_name='outboundemail',
            constraint=models.CheckConstraint(condition=models.Q(('ticket__isnull', False), ('customer__isnull', False), _connector='OR'), name='notification_about_ticket_or_customer'),
        ),
    ]
