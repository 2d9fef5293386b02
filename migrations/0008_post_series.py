from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('kelola', '0007_sandbox_token_issued_at')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PostSeries',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('template', fields.ForeignKeyField('kelola.Post', source_field='template_id', db_constraint=True, to_field='id', related_name='series_as_template', on_delete=OnDelete.CASCADE)),
                ('rule', fields.CharField(max_length=500)),
                ('timezone', fields.CharField(max_length=64)),
                ('starts_at_local', fields.CharField(max_length=19)),
                ('generated_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished', fields.BooleanField(default=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'post_series', 'app': 'kelola', 'pk_attr': 'id', 'table_description': 'A post repeated by an RRULE in wall-clock time of a zone (09:00 stays 09:00).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SeriesOccurrence',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('series', fields.ForeignKeyField('kelola.PostSeries', source_field='series_id', db_constraint=True, to_field='id', related_name='occurrences', on_delete=OnDelete.CASCADE)),
                ('post', fields.OneToOneField('kelola.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='occurrence', on_delete=OnDelete.CASCADE)),
                ('index', fields.IntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'series_occurrences', 'app': 'kelola', 'unique_together': (('series', 'index'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
