/* oÿÿ/* ine***///ÿ*/ÿÿÿ* from ra
