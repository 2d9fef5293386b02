from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.alerts.models import AlertEventKind, AlertStatus, RuleKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('kelola', '0012_listening')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlertRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('query', fields.ForeignKeyField('kelola.ListeningQuery', source_field='query_id', db_constraint=True, to_field='id', related_name='alert_rules', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('kind', fields.CharEnumField(description='VOLUME_SPIKE: VOLUME_SPIKE\nNEGATIVE_SHARE: NEGATIVE_SHARE\nINFLUENTIAL_NEGATIVE: INFLUENTIAL_NEGATIVE\nWATCH_TERMS: WATCH_TERMS', enum_type=RuleKind, max_length=24)),
                ('window_minutes', fields.IntField(default=60)),
                ('threshold', fields.FloatField(null=True)),
                ('min_mentions', fields.IntField(default=5)),
                ('min_reach', fields.BigIntField(null=True)),
                ('terms', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('cooldown_minutes', fields.IntField(default=60)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'alert_rules', 'app': 'kelola', 'pk_attr': 'id', 'table_description': "When a listening query's mentions should raise an alert."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Alert',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('rule', fields.ForeignKeyField('kelola.AlertRule', source_field='rule_id', db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=AlertStatus.OPEN, description='OPEN: OPEN\nACKNOWLEDGED: ACKNOWLEDGED\nRESOLVED: RESOLVED', enum_type=AlertStatus, max_length=16)),
                ('summary', fields.CharField(max_length=300)),
                ('mentions_count', fields.IntField(default=0)),
                ('first_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acknowledged_by', fields.ForeignKeyField('kelola.User', source_field='acknowledged_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.ForeignKeyField('kelola.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alerts', 'app': 'kelola', 'indexes': [Index(fields=['workspace_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One incident: raised by a rule, updated while it continues, acknowledged, resolved.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace_id', fields.BigIntField()),
                ('alert', fields.ForeignKeyField('kelola.Alert', source_field='alert_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='OPENED: OPENED\nUPDATED: UPDATED\nACKNOWLEDGED: ACKNOWLEDGED\nRESOLVED: RESOLVED', enum_type=AlertEventKind, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alert_events', 'app': 'kelola', 'indexes': [Index(fields=['workspace_id', 'id'])], 'pk_attr': 'id', 'table_description': 'Something that happened to an alert, in order (the id is the replay cursor).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertMention',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('alert', fields.ForeignKeyField('kelola.Alert', source_field='alert_id', db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.CASCADE)),
                ('mention', fields.ForeignKeyField('kelola.Mention', source_field='mention_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'alert_mentions', 'app': 'kelola', 'unique_together': (('alert', 'mention'),), 'pk_attr': 'id', 'table_description': 'A mention behind an alert.'},
            bases=['Model'],
        ),
    ]
