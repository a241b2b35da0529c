"""the leader's review (reopenings become returned reviews) and evidence files, on items and actions

Revision ID: 7e41c0b9a2d5
Revises: 36be4047e57c
Create Date: 2026-11-28 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e41c0b9a2d5'
down_revision = '36be4047e57c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('selfcheck_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('decision', sa.String(length=20), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['selfcheck_id'], ['self_check.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_review_selfcheck_id'), 'review', ['selfcheck_id'], unique=False)
    op.create_table(
        'review_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.String(length=20), nullable=True),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['rectification_action.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['review_id'], ['review.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_review_comment_review_id'), 'review_comment', ['review_id'], unique=False)
    with op.batch_alter_table('self_check', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_state', sa.String(length=20), nullable=True))
    # a reopening was a return: its reason is the return's comment; a draft reopened is "returned"
    op.execute(
        "INSERT INTO review (selfcheck_id, user_id, at, decision, comment) "
        "SELECT selfcheck_id, user_id, at, 'returned', reason FROM reopening ORDER BY at, id"
    )
    op.execute(
        "UPDATE self_check SET review_state = 'returned' "
        "WHERE status = 'draft' AND id IN (SELECT selfcheck_id FROM reopening)"
    )
    op.drop_table('reopening')

    op.create_table(
        'evidence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('selfcheck_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.String(length=20), nullable=True),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['action_id'], ['rectification_action.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['selfcheck_id'], ['self_check.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index(op.f('ix_evidence_selfcheck_id'), 'evidence', ['selfcheck_id'], unique=False)
    op.create_index(op.f('ix_evidence_action_id'), 'evidence', ['action_id'], unique=False)
    op.create_table(
        'evidence_blob',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade():
    op.drop_table('evidence_blob')
    op.drop_index(op.f('ix_evidence_action_id'), table_name='evidence')
    op.drop_index(op.f('ix_evidence_selfcheck_id'), table_name='evidence')
    op.drop_table('evidence')
    op.create_table(
        'reopening',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('selfcheck_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['selfcheck_id'], ['self_check.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute(
        "INSERT INTO reopening (selfcheck_id, user_id, at, reason) "
        "SELECT selfcheck_id, user_id, at, comment FROM review WHERE decision = 'returned' ORDER BY at, id"
    )
    with op.batch_alter_table('self_check', schema=None) as batch_op:
        batch_op.drop_column('review_state')
    op.drop_index(op.f('ix_review_comment_review_id'), table_name='review_comment')
    op.drop_table('review_comment')
    op.drop_index(op.f('ix_review_selfcheck_id'), table_name='review')
    op.drop_table('review')
