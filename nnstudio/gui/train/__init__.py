"""The Train page and the Training dock: the controller, the bridge to the training process,
live plots and the data feed."""
