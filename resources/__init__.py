"""Resources shipped with nnstudio: the default model, example designs, lesson texts."""
