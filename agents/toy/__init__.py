"""The paper's section 5.2 toy study on ``LaunchpadToy-v0``: tabular Q-learning (:mod:`agents.toy.tabular`),
MCMC exploration (:mod:`agents.toy.mcmc`), and the command that runs both (:mod:`agents.toy.study`)."""
