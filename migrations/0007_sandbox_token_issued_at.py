from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('kelola', '0006_attempt_token_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SandboxAccount',
            name='token_issued_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
