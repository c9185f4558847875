def main():
    import fpga_opt.passes.analysis as a; print("hi", a.__file__)
