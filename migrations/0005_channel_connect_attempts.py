from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.channels.models import ConnectStatus
from domain.platforms.base import Platform
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('kelola', '0004_media_uploads')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OAuthAppRegistration',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharEnumField(description='FACEBOOK: FACEBOOK\nINSTAGRAM: INSTAGRAM\nX: X\nLINKEDIN: LINKEDIN\nPINTEREST: PINTEREST\nMASTODON: MASTODON\nBLUESKY: BLUESKY\nSANDBOX: SANDBOX', enum_type=Platform, max_length=16)),
                ('instance_url', fields.CharField(max_length=255)),
                ('redirect_uri', fields.CharField(max_length=500)),
                ('client_id', fields.CharField(max_length=255)),
                ('client_secret_encrypted', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'oauth_app_registrations', 'app': 'kelola', 'unique_together': (('platform', 'instance_url', 'redirect_uri'),), 'pk_attr': 'id', 'table_description': 'The OAuth client a network issued to Kelola on demand (Mastodon registers one per'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChannelConnectAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('kelola.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('platform', fields.CharEnumField(description='FACEBOOK: FACEBOOK\nINSTAGRAM: INSTAGRAM\nX: X\nLINKEDIN: LINKEDIN\nPINTEREST: PINTEREST\nMASTODON: MASTODON\nBLUESKY: BLUESKY\nSANDBOX: SANDBOX', enum_type=Platform, max_length=16)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('code_verifier_encrypted', fields.TextField(null=True, unique=False)),
                ('redirect_uri', fields.CharField(max_length=500)),
                ('return_url', fields.CharField(null=True, max_length=2048)),
                ('facts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('app_registration', fields.ForeignKeyField('kelola.OAuthAppRegistration', source_field='app_registration_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=ConnectStatus.PENDING, description='PENDING: PENDING\nSELECTING: SELECTING\nCONNECTED: CONNECTED\nFAILED: FAILED', enum_type=ConnectStatus, max_length=16)),
                ('error_code', fields.CharField(null=True, max_length=32)),
                ('error_message', fields.CharField(null=True, max_length=500)),
                ('candidates_encrypted', fields.TextField(null=True, unique=False)),
                ('channel_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('selection_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'channel_connect_attempts', 'app': 'kelola', 'pk_attr': 'id', 'table_description': 'One OAuth authorization a member started: the state sent to the network (stored only'},
            bases=['Model'],
        ),
    ]
