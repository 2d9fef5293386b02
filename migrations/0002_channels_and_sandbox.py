from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.channels.models import ChannelHealth
from domain.platforms.base import Platform
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('kelola', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Channel',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='channels', on_delete=OnDelete.CASCADE)),
                ('platform', fields.CharEnumField(description='FACEBOOK: FACEBOOK\nINSTAGRAM: INSTAGRAM\nX: X\nLINKEDIN: LINKEDIN\nPINTEREST: PINTEREST\nMASTODON: MASTODON\nBLUESKY: BLUESKY\nSANDBOX: SANDBOX', enum_type=Platform, max_length=16)),
                ('external_account_id', fields.CharField(max_length=128)),
                ('name', fields.CharField(max_length=200)),
                ('handle', fields.CharField(null=True, max_length=200)),
                ('health', fields.CharEnumField(default=ChannelHealth.CONNECTED, description='CONNECTED: CONNECTED\nNEEDS_REAUTH: NEEDS_REAUTH\nRATE_LIMITED: RATE_LIMITED\nDISCONNECTED: DISCONNECTED', enum_type=ChannelHealth, max_length=16)),
                ('health_reason', fields.CharField(null=True, max_length=500)),
                ('health_changed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('rate_limited_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('access_token_encrypted', fields.TextField(unique=False)),
                ('refresh_token_encrypted', fields.TextField(null=True, unique=False)),
                ('token_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('credentials_extra_encrypted', fields.TextField(null=True, unique=False)),
                ('connected_by', fields.ForeignKeyField('kelola.User', source_field='connected_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('connected_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('disconnected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'channels', 'app': 'kelola', 'unique_together': (('workspace', 'platform', 'external_account_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handle', fields.CharField(max_length=64)),
                ('followers', fields.IntField(default=1000)),
                ('seed', fields.BigIntField()),
                ('token_hash', fields.CharField(max_length=64)),
                ('latency_ms', fields.IntField(default=0)),
                ('failure_rates', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sandbox_accounts', 'app': 'kelola', 'pk_attr': 'id', 'table_description': 'An account on the sandbox network, with the failures it should inject.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxPost',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('kelola.SandboxAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('reference', fields.CharField(db_index=True, max_length=128)),
                ('text', fields.TextField(unique=False)),
                ('media', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('link', fields.CharField(null=True, max_length=2048)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('answered', fields.CharField(max_length=32)),
            ],
            options={'table': 'sandbox_posts', 'app': 'kelola', 'pk_attr': 'id', 'table_description': 'The ledger: one row per post that reached the network, duplicates included.'},
            bases=['Model'],
        ),
    ]
