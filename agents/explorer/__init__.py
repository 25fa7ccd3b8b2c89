"""``explorer``: an agent that learns to cross the near-silent trap from the env alone.

Go-Explore (:mod:`.go_explore`) archives the bars it reaches, returns to them by reset and explores from
there; its best trajectories then robustify an SB3 DQN (:mod:`.self_imitation`, DQfD's margin loss) through
a backward curriculum (:mod:`.backward_curriculum`). :mod:`.train` is the command, :mod:`.report` the table.
"""
