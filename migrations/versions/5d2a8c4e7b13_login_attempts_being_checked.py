"""login failures: attempts still being checked

Revision ID: 5d2a8c4e7b13
Revises: 1fdb9df3dd44
Create Date: 2026-11-28 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d2a8c4e7b13'
down_revision = '1fdb9df3dd44'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checking', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_column('checking')
