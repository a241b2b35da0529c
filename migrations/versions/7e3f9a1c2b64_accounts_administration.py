"""accounts: temporary passwords, disabled accounts, the audit log's subject, password handouts

Revision ID: 7e3f9a1c2b64
Revises: 5d2a8c4e7b13
Create Date: 2026-11-28 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e3f9a1c2b64'
down_revision = '5d2a8c4e7b13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_event_subject_id'), ['subject_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_event_subject_id_user'), 'user', ['subject_id'], ['id'], ondelete='SET NULL'
        )
    op.create_table(
        'password_handout',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('rows', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['issued_by_id'], ['user.id'], name=op.f('fk_password_handout_issued_by_id_user'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_handout')),
    )
    with op.batch_alter_table('password_handout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_handout_issued_by_id'), ['issued_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('password_handout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_handout_issued_by_id'))
    op.drop_table('password_handout')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_event_subject_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_event_subject_id'))
        batch_op.drop_column('subject_id')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('must_change_password')
