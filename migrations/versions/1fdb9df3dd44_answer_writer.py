"""answer writer: who numbered the save that wrote an answer

Revision ID: 1fdb9df3dd44
Revises: 3b7c1d2e9f40
Create Date: 2026-11-28 07:40:12.000000

Ordering numbers (`seq`) now count the saves of one writer (a page load, an API token).
The numbers stored so far were the pages' clock readings, of no known writer: they are
cleared, so no old reading is ever compared with a writer's count.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1fdb9df3dd44'
down_revision = '3b7c1d2e9f40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('writer', sa.String(length=64), nullable=True))
    op.execute("UPDATE answer SET seq = NULL")


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('writer')
