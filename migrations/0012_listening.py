from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.listening.models import FeedStatus, Sentiment
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('kelola', '0011_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ListeningFeed',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2048)),
                ('title', fields.CharField(null=True, max_length=300)),
                ('status', fields.CharEnumField(default=FeedStatus.OK, description='OK: OK\nFAILING: FAILING', enum_type=FeedStatus, max_length=8)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('failures', fields.IntField(default=0)),
                ('next_read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'listening_feeds', 'app': 'kelola', 'unique_together': (('workspace', 'url'),), 'pk_attr': 'id', 'table_description': 'An RSS or Atom feed (news, blogs) a workspace reads for mentions.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ListeningQuery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('brand_terms', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('competitors', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('hashtags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('include_expression', fields.TextField(null=True, unique=False)),
                ('exclude_expression', fields.TextField(null=True, unique=False)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('networks', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_by', fields.ForeignKeyField('kelola.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'listening_queries', 'app': 'kelola', 'unique_together': (('workspace', 'name'),), 'pk_attr': 'id', 'table_description': 'What a workspace listens for: brand and competitor terms, hashtags, boolean include'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Mention',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace_id', fields.BigIntField()),
                ('query', fields.ForeignKeyField('kelola.ListeningQuery', source_field='query_id', db_constraint=True, to_field='id', related_name='mentions', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(max_length=64)),
                ('network', fields.CharField(max_length=16)),
                ('external_id', fields.CharField(max_length=300)),
                ('url', fields.CharField(null=True, max_length=2048)),
                ('author_handle', fields.CharField(null=True, max_length=200)),
                ('author_reach', fields.BigIntField(null=True)),
                ('text', fields.TextField(unique=False)),
                ('language', fields.CharField(max_length=8)),
                ('sentiment_score', fields.FloatField()),
                ('sentiment', fields.CharEnumField(description='POSITIVE: POSITIVE\nNEUTRAL: NEUTRAL\nNEGATIVE: NEGATIVE', enum_type=Sentiment, max_length=8)),
                ('matched_terms', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('competitor', fields.CharField(null=True, max_length=120)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('collected_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mentions', 'app': 'kelola', 'unique_together': (('query', 'network', 'external_id'),), 'indexes': [Index(fields=['workspace_id', 'published_at']), Index(fields=['query_id', 'published_at'])], 'pk_attr': 'id', 'table_description': 'A post, comment or article that matched a listening query, once per query.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SourceCursor',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace_id', fields.BigIntField()),
                ('query', fields.ForeignKeyField('kelola.ListeningQuery', source_field='query_id', db_constraint=True, to_field='id', related_name='cursors', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(max_length=64)),
                ('seen_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_run_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'listening_cursors', 'app': 'kelola', 'unique_together': (('query', 'source'),), 'pk_attr': 'id', 'table_description': 'Where reading one source for one query left off (a network search through a channel,'},
            bases=['Model'],
        ),
    ]
