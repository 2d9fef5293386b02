from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('kelola', '0008_post_series')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('kelola.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('description', fields.TextField(default='', unique=False)),
                ('starts_on', fields.DateField(null=True)),
                ('ends_on', fields.DateField(null=True)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'campaigns', 'app': 'kelola', 'unique_together': (('workspace', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Post',
            name='campaign',
            field=fields.ForeignKeyField('kelola.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.SET_NULL),
        ),
    ]
