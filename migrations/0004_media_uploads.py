from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('kelola', '0003_content')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Media',
            name='file_name',
            field=fields.CharField(null=True, max_length=255),
        ),
    ]
