CREATE TABLE departments (
    id integer PRIMARY KEY,
    head_id integer CONSTRAINT departments_head_id_fkey REFERENCES employees (id)
);
CREATE TABLE employees (
    id integer PRIMARY KEY,
    department_id integer REFERENCES departments (id)
);
