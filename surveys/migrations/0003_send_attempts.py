# The send-attempt journal of the survey invitations (issue 11, recovery).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0002_invitation_from_history'),
    ]

    operations = [
        migrations.CreateModel(
            name='SurveyInvitationAttempt',
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
                ('mail', models.CharField(choices=[('invitation', 'Invitation'), ('reminder', 'Reminder')], max_length=10, verbose_name='e-mail')),
                ('invitation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='send_attempts', to='surveys.surveyinvitation', verbose_name='survey invitation')),
            ],
            options={
                'verbose_name': 'send attempt',
                'verbose_name_plural': 'send attempts',
                'ordering': ['started_at', 'id'],
                'abstract': False,
                'indexes': [models.Index(fields=['outcome', 'lease_until'], name='invitation_attempt_open')],
            },
        ),
    ]
