from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.content.models import MediaKind, TargetStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('kelola', '0002_channels_and_sandbox')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ContentPolicy',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.OneToOneField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='content_policy', on_delete=OnDelete.CASCADE)),
                ('approval_required', fields.BooleanField(default=False)),
                ('max_posts_per_channel_per_day', fields.IntField(null=True)),
                ('min_minutes_between_posts', fields.IntField(null=True)),
            ],
            options={'table': 'content_policies', 'app': 'kelola', 'pk_attr': 'id', 'table_description': "A workspace's publishing rules: approvals and posting frequency."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Media',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='media', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='IMAGE: IMAGE\nVIDEO: VIDEO\nGIF: GIF', enum_type=MediaKind, max_length=8)),
                ('mime_type', fields.CharField(max_length=100)),
                ('size_bytes', fields.BigIntField()),
                ('width', fields.IntField(null=True)),
                ('height', fields.IntField(null=True)),
                ('duration_s', fields.FloatField(null=True)),
                ('alt_text', fields.CharField(null=True, max_length=1500)),
                ('storage_key', fields.CharField(unique=True, max_length=300)),
                ('uploaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('kelola.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'media', 'app': 'kelola', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('kelola.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(default='', unique=False)),
                ('title', fields.CharField(null=True, max_length=300)),
                ('link', fields.CharField(null=True, max_length=4096)),
                ('first_comment', fields.TextField(null=True, unique=False)),
                ('poll', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('media_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recurrence_rule', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'posts', 'app': 'kelola', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PostComment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('post', fields.ForeignKeyField('kelola.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('kelola.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'post_comments', 'app': 'kelola', 'pk_attr': 'id', 'table_description': 'Review discussion on a post.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PostTarget',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('post', fields.ForeignKeyField('kelola.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='targets', on_delete=OnDelete.CASCADE)),
                ('channel', fields.ForeignKeyField('kelola.Channel', source_field='channel_id', db_constraint=True, to_field='id', related_name='targets', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=TargetStatus.DRAFT, description='DRAFT: DRAFT\nIN_REVIEW: IN_REVIEW\nAPPROVED: APPROVED\nSCHEDULED: SCHEDULED\nPUBLISHING: PUBLISHING\nPUBLISHED: PUBLISHED\nFAILED: FAILED\nUNCONFIRMED: UNCONFIRMED\nCANCELLED: CANCELLED', enum_type=TargetStatus, max_length=16)),
                ('body_override', fields.TextField(null=True, unique=False)),
                ('media_override', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('scheduled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('attempt_token', fields.CharField(null=True, max_length=32)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('network_post_id', fields.CharField(null=True, max_length=200)),
                ('network_url', fields.CharField(null=True, max_length=2048)),
                ('failure_reason', fields.CharField(null=True, max_length=1000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'post_targets', 'app': 'kelola', 'unique_together': (('post', 'channel'),), 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['workspace_id', 'scheduled_at']), Index(fields=['channel_id', 'scheduled_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PublishAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('kelola.PostTarget', source_field='target_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('attempt_token', fields.CharField(max_length=32)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('latency_ms', fields.IntField(null=True)),
                ('outcome', fields.CharField(max_length=16)),
                ('error_class', fields.CharField(null=True, max_length=32)),
                ('error_message', fields.CharField(null=True, max_length=1000)),
                ('network_post_id', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'publish_attempts', 'app': 'kelola', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QueueSlot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('channel', fields.ForeignKeyField('kelola.Channel', source_field='channel_id', db_constraint=True, to_field='id', related_name='queue_slots', on_delete=OnDelete.CASCADE)),
                ('weekday', fields.SmallIntField()),
                ('minute_of_day', fields.SmallIntField()),
                ('timezone', fields.CharField(max_length=64)),
            ],
            options={'table': 'queue_slots', 'app': 'kelola', 'unique_together': (('channel', 'weekday', 'minute_of_day'),), 'pk_attr': 'id', 'table_description': "A weekly time at which a channel's queue publishes, in wall-clock time of a zone."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatusChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('kelola.PostTarget', source_field='target_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.CASCADE)),
                ('from_status', fields.CharEnumField(null=True, description='DRAFT: DRAFT\nIN_REVIEW: IN_REVIEW\nAPPROVED: APPROVED\nSCHEDULED: SCHEDULED\nPUBLISHING: PUBLISHING\nPUBLISHED: PUBLISHED\nFAILED: FAILED\nUNCONFIRMED: UNCONFIRMED\nCANCELLED: CANCELLED', enum_type=TargetStatus, max_length=16)),
                ('to_status', fields.CharEnumField(description='DRAFT: DRAFT\nIN_REVIEW: IN_REVIEW\nAPPROVED: APPROVED\nSCHEDULED: SCHEDULED\nPUBLISHING: PUBLISHING\nPUBLISHED: PUBLISHED\nFAILED: FAILED\nUNCONFIRMED: UNCONFIRMED\nCANCELLED: CANCELLED', enum_type=TargetStatus, max_length=16)),
                ('changed_by', fields.ForeignKeyField('kelola.User', source_field='changed_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('changed_by_system', fields.CharField(null=True, max_length=64)),
                ('reason', fields.CharField(null=True, max_length=1000)),
                ('changed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'target_status_changes', 'app': 'kelola', 'pk_attr': 'id', 'table_description': 'Every status change of a target: who (or which process), when and why.'},
            bases=['Model'],
        ),
    ]
