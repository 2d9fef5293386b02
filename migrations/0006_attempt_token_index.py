from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('kelola', '0005_channel_connect_attempts')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='PostTarget',
            name='attempt_token',
            field=fields.CharField(null=True, db_index=True, max_length=32),
        ),
    ]
